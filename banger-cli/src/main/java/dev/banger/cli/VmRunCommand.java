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
            return VmSshCommand.ssh(ctx, vm, command);
        } finally {
            if (remove) {
                try {
                    ctx.daemon().call(Methods.VM_DELETE, new Params.VmDelete(vm.name(), true), Params.Deleted.class);
                } catch (BangerException e) {
                    ctx.err().println("banger: could not delete VM " + vm.name() + ": " + e.getMessage());
                    ctx.err().flush();
                }
            }
        }
    }
}
