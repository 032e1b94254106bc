package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.core.Sizes;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmRunCommand extends Verb {
    VmRunCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "run";
    }

    @Override
    String description() {
        return "Create a VM, boot it, run a command in it over SSH and exit with the command's status: banger vm run [--name N] -- CMD...";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(option("NAME", String.class, "DNS label (default: generated)", "--name"));
        spec.addOption(option("IMAGE", String.class, "base image (default from config: debian-bookworm)", "--image"));
        spec.addOption(option("N", Integer.class, "vCPUs, 1-32 (default 1)", "--cpus", "--vcpus"));
        spec.addOption(option("SIZE", String.class, "memory, e.g. 512M or 2G (default 512M)", "--memory"));
        spec.addOption(option("VMM", String.class, "qemu or firecracker (default from config: qemu)", "--vmm"));
        spec.addOption(flag("delete the VM when the command ends", "--rm"));
        spec.addPositional(parameter("CMD", "0..*", "command to run (after --); without one, a login shell"));
    }

    /**
     * The first `vm run` on a machine without images builds the default one (with progress), so the
     * README's first command works on a fresh machine. A missing image that is not the default is an
     * error: building it would guess what the user meant.
     */
    private void ensureImage(String requested) {
        Params.DaemonStatus status = ctx.daemon().call(Methods.DAEMON_STATUS, null, Params.DaemonStatus.class);
        String image = requested != null ? requested : status.defaultImage();
        try {
            ctx.daemon().call(Methods.IMAGE_GET, new Params.ImageRef(image), Params.ImageInfo.class);
        } catch (BangerException e) {
            if (e.code() != dev.banger.api.ErrorCode.NOT_FOUND || !image.equals(status.defaultImage())) {
                throw e;
            }
            ctx.err().println("banger: no image '" + image + "' yet: building it now (once; a few minutes)");
            ctx.err().flush();
            String suite = image.startsWith("debian-") ? image.substring("debian-".length()) : null;
            ProgressPrinter.call(ctx, Methods.IMAGE_BUILD, new Params.ImageBuild("debian", image, suite, null, null, null),
                    Params.ImageInfo.class);
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
            now = ctx.daemon().call(Methods.VM_GET, new Params.VmRef(vm.id()), VmRecord.class);
        } catch (BangerException e) {
            if (e.code() != dev.banger.api.ErrorCode.NOT_FOUND) {
                throw e;
            }
            throw new BangerException(dev.banger.api.ErrorCode.FAILED_PRECONDITION, "VM " + vm.name()
                    + " was deleted while 'vm run' was starting it or running the command; the command did not finish");
        }
        if (now.state() != dev.banger.api.VmState.RUNNING) {
            throw new BangerException(dev.banger.api.ErrorCode.FAILED_PRECONDITION, "VM " + vm.name() + " became "
                    + now.state().wireName() + " while 'vm run' was running the command; the command did not finish"
                    + (now.runtime().lastError() != null ? " (" + now.runtime().lastError() + ")" : ""));
        }
    }

    @Override
    int run(ParseResult args) {
        String memory = args.matchedOptionValue("--memory", null);
        Params.VmCreate request = new Params.VmCreate(args.matchedOptionValue("--name", null), args.matchedOptionValue("--image", null),
                args.matchedOptionValue("--cpus", null),
                memory == null ? null : Math.toIntExact(Math.min(Integer.MAX_VALUE, Sizes.parseMib("--memory", memory))), null, null,
                args.matchedOptionValue("--vmm", null));
        List<String> command = args.hasMatchedPositional(0) ? args.matchedPositional(0).stringValues() : List.of();
        ensureImage(request.image());
        VmRecord vm = ctx.daemon().call(Methods.VM_CREATE, request, VmRecord.class);
        boolean remove = has(args, "--rm");
        try {
            vm = VmStartCommand.start(ctx, vm.name());
            int status = VmSshCommand.ssh(ctx, vm, command);
            if (status == SSH_FAILED) {
                explainLostVm(vm);
            }
            return status;
        } finally {
            if (remove) {
                try {
                    ctx.daemon().call(Methods.VM_DELETE, new Params.VmDelete(vm.id(), true), Params.Deleted.class);
                } catch (BangerException e) {
                    // NOT_FOUND: deleted already, by someone else; nothing is left to remove.
                    if (e.code() != dev.banger.api.ErrorCode.NOT_FOUND) {
                        ctx.err().println("banger: could not delete VM " + vm.name() + ": " + e.getMessage());
                        ctx.err().flush();
                    }
                }
            }
        }
    }
}
