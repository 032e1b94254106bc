package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class ImageImportCommand extends Verb {
    ImageImportCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "import";
    }

    @Override
    String description() {
        return "Import a user-supplied kernel (bzImage or ELF vmlinux) and ext4 root filesystem as an image.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(option("NAME", String.class, "image name", "--name"));
        spec.addOption(option("FILE", String.class, "kernel: bzImage (QEMU) or ELF vmlinux (Firecracker)", "--kernel"));
        spec.addOption(option("FILE", String.class, "ext4 root filesystem image", "--rootfs"));
        spec.addOption(option("FILE", String.class, "initramfs (optional)", "--initrd"));
        spec.addOption(jsonFlag("the image"));
    }

    @Override
    int run(ParseResult args) {
        String name = args.matchedOptionValue("--name", null);
        String kernel = args.matchedOptionValue("--kernel", null);
        String rootfs = args.matchedOptionValue("--rootfs", null);
        if (name == null || kernel == null || rootfs == null) {
            throw dev.banger.api.BangerException.invalid("image import needs --name, --kernel and --rootfs");
        }
        String initrd = args.matchedOptionValue("--initrd", null);
        // The daemon does not share this shell's working directory: send absolute paths.
        Params.ImageImport request = new Params.ImageImport(name, absolute(kernel), absolute(rootfs), initrd == null ? null : absolute(initrd));
        Params.ImageInfo i = ctx.daemon().call(Methods.IMAGE_IMPORT, request, Params.ImageInfo.class);
        if (has(args, "--json")) {
            printJson(i);
        } else {
            println("imported image " + i.manifest().name() + " (" + ImageListCommand.mib(i.diskUsageBytes()) + " on disk)");
        }
        return 0;
    }

    private static String absolute(String path) {
        return Path.of(path).toAbsolutePath().normalize().toString();
    }
}
