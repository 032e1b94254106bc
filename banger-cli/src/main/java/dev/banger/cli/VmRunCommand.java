package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmRunCommand extends Verb {
    VmRunCommand(CliContext ctx) {
        super(ctx, "run", "Create a VM, boot it, run a command in it (through its guest agent, argv as given) and exit with the "
                + "command's status; without a command, log in over SSH: banger vm run [--name N] -- CMD...");
    }

    @Override
    void declare(CommandSpec spec) {
        VmSpecOptions.declare(spec);
        spec.addOption(flag("delete the VM when the command ends", "--rm"));
        spec.addPositional(parameter("CMD", "0..*", "0..*", "command to run (after --); without one, a login shell"));
    }

    /**
     * The first `vm run` on a machine without images builds the default one (with progress), so the
     * README's first command works on a fresh machine. A missing image that is not the default is an
     * error: building it would guess what the user meant.
     */
    private void ensureImage(String requested) {
        Params.DaemonStatus status = ctx.daemon().call(Rpcs.DAEMON_STATUS);
        String image = requested != null ? requested : status.defaultImage();
        try {
            ctx.daemon().call(Rpcs.IMAGE_GET, new Params.ImageRef(image));
        } catch (BangerException e) {
            if (e.code() != ErrorCode.NOT_FOUND || !image.equals(status.defaultImage())) {
                throw e;
            }
            warn("no image '" + image + "' yet: building it now (once; a few minutes)");
            String suite = image.startsWith("debian-") ? image.substring("debian-".length()) : null;
            ProgressPrinter.call(ctx, Rpcs.IMAGE_BUILD, new Params.ImageBuild("debian", image, suite, null, null, null));
        }
    }

    /** ssh's own failure status (also what a command exits with when it fails with 255 itself). */
    private static final int SSH_FAILED = 255;

    /**
     * ssh failed, or the command exited 255. When the VM is gone or no longer running, that is the story, not
     * ssh's "No route to host": say so, with banger's own failure status.
     */
    private void explainLostVm(VmRecord vm) {
        VmRecord now;
        try {
            now = ctx.daemon().call(Rpcs.VM_GET, new Params.VmRef(vm.id()));
        } catch (BangerException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + vm.name()
                    + " was deleted while 'vm run' was starting it or running the command; the command did not finish");
        }
        if (now.state() != VmState.RUNNING) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + vm.name() + " became "
                    + now.state().wireName() + " while 'vm run' was running the command; the command did not finish"
                    + (now.runtime().lastError() != null ? " (" + now.runtime().lastError() + ")" : ""));
        }
    }

    /**
     * The command through the guest agent, as {@code vm exec -i} runs it (stdin forwarded, as ssh does). An
     * image whose agent does not answer gets the command over SSH instead, with a one-line notice: the
     * agent is asked before anything runs, so the command never runs twice.
     */
    private int throughAgent(VmRecord vm, List<String> command) {
        DaemonClient.Opened<Params.Conversation> opened;
        try {
            opened = ctx.daemon().converse(Rpcs.VM_EXEC, new Params.VmExec(vm.id(), command, null, null, null, false, null, null, true,
                    false, VmExecCommand.READY_TIMEOUT_MS));
        } catch (BangerException e) {
            if (e.code() != ErrorCode.AGENT_UNAVAILABLE) {
                throw e;
            }
            warn("the guest agent of VM " + vm.name() + " does not answer (" + e.getMessage() + "): running the command over SSH");
            return overSsh(vm, command);
        }
        try (opened) {
            return new ExecClient(opened.in(), opened.out()).run(System.in, System.out, System.err, "cannot run the command");
        } catch (BangerException e) {
            if (e.code() == ErrorCode.AGENT_UNAVAILABLE) {
                explainLostVm(vm);
            }
            throw e;
        }
    }

    private int overSsh(VmRecord vm, List<String> command) {
        int status = VmSshCommand.ssh(ctx, vm, command);
        if (status == SSH_FAILED) {
            explainLostVm(vm);
        }
        return status;
    }

    @Override
    int run(ParseResult args) {
        Params.VmCreate request = VmSpecOptions.read(args);
        List<String> command = args.hasMatchedPositional(0) ? args.matchedPositional(0).stringValues() : List.of();
        ensureImage(request.image());
        VmRecord vm = ctx.daemon().call(Rpcs.VM_CREATE, request);
        if (vm.runtime().fromSnapshot() == null && !request.forcedCold()) {
            warn("booting cold: no template of image " + vm.spec().image() + " matches this spec ('banger image warm "
                    + vm.spec().image() + "' makes one for the default spec; --cold skips this note)");
        }
        boolean remove = has(args, "--rm");
        try {
            vm = VmVerbs.start(ctx, vm.name());
            return command.isEmpty() ? overSsh(vm, command) : throughAgent(vm, command);
        } finally {
            if (remove) {
                try {
                    ctx.daemon().call(Rpcs.VM_DELETE, new Params.VmDelete(vm.id(), true));
                } catch (BangerException e) {
                    // NOT_FOUND: deleted already, by someone else; nothing is left to remove.
                    if (e.code() != ErrorCode.NOT_FOUND) {
                        warn("could not delete VM " + vm.name() + ": " + e.getMessage());
                    }
                }
            }
        }
    }
}
