package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** banger image ...: its verbs in the order help lists them, and the text form of what they print. */
final class ImageVerbs {
    private ImageVerbs() {
    }

    static List<Verb> all(CliContext ctx) {
        return List.of(
                new CallVerb<>(ctx, "build", "Build a guest image from distribution packages (debian by default; void needs its mirror).",
                        Rpcs.IMAGE_BUILD).request(ImageVerbs::buildOptions, ImageVerbs::buildRequest).withProgress().json("the image")
                        .text((i, c) -> c.out().println("built image " + i.manifest().name() + " (kernel " + i.manifest().kernelVersion()
                                + ", " + i.manifest().buildSeconds() + " s, " + mib(i.diskUsageBytes()) + " on disk) in " + i.dir())),
                new CallVerb<>(ctx, "list", "List images.", Rpcs.IMAGE_LIST, "ls").json("the images").text(ImageVerbs::table),
                new CallVerb<>(ctx, "show", "Show one image: its manifest, files and users.", Rpcs.IMAGE_GET)
                        .on(Args.IMAGE, Params.ImageRef::new).json("the image").text(ImageVerbs::details),
                new CallVerb<>(ctx, "rm", "Delete an image (refused while a VM uses it).", Rpcs.IMAGE_DELETE, "delete")
                        .on(Args.IMAGE, Params.ImageRef::new).text((d, c) -> c.out().println("deleted image " + d.name())),
                new CallVerb<>(ctx, "import", "Import a user-supplied kernel (bzImage or ELF vmlinux) and ext4 root filesystem as an image.",
                        Rpcs.IMAGE_IMPORT).request(ImageVerbs::importOptions, ImageVerbs::importRequest).json("the image")
                        .text((i, c) -> c.out().println("imported image " + i.manifest().name() + " (" + mib(i.diskUsageBytes()) + " on disk)")),
                new CallVerb<>(ctx, "warm", "Make the image's template: a VM booted with the default spec, snapshotted as soon as it is "
                        + "ready, so that 'vm run' of that spec resumes in about a second instead of booting.", Rpcs.IMAGE_WARM)
                        .on(Args.IMAGE, Params.ImageWarm::new).withProgress().json("the template")
                        .text((s, c) -> c.out().println("image " + s.image() + " is warm: template " + s.name() + " ("
                                + SnapshotVerbs.mib(s.sizeBytes()) + " on disk, " + s.vcpus() + " vCPUs, " + s.memoryMib() + " MiB)")),
                new CallVerb<>(ctx, "verify", "Check an image: manifest against files, e2fsck -n, kernel formats, initramfs modules, "
                        + "rootfs contents.", Rpcs.IMAGE_VERIFY).on(Args.IMAGE, Params.ImageRef::new).json("the checks")
                        .text((v, c) -> {
                            Table.checks(c.out(), v.checks(), "FAIL");
                            c.out().println(v.ok() ? "image " + v.image() + " verified" : "image " + v.image() + " FAILED verification");
                        })
                        .status(v -> v.ok() ? ErrorCode.ExitStatus.SUCCESS : ErrorCode.ExitStatus.FAILURE));
    }

    private static void buildOptions(CommandSpec spec) {
        spec.addPositional(Verb.parameter("DISTRO", "0", "0..1", "debian (default) or void"));
        spec.addOption(Verb.option("NAME", String.class, "image name (default debian-SUITE, or void)", "--name"));
        spec.addOption(Verb.option("SUITE", String.class, "Debian suite (default bookworm)", "--suite"));
        spec.addOption(Verb.option("SIZE", String.class, "root filesystem size, sparse (default 2G)", "--size"));
        spec.addOption(Verb.option("PKG,PKG", String.class, "extra packages to install", "--packages"));
        spec.addOption(Verb.option("URL", String.class, "mirror (default: the one in this host's apt sources)", "--mirror"));
    }

    private static Params.ImageBuild buildRequest(ParseResult args) {
        String packages = args.matchedOptionValue("--packages", null);
        List<String> extra = packages == null ? null : Arrays.stream(packages.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList();
        return new Params.ImageBuild(args.hasMatchedPositional(0) ? args.matchedPositional(0).getValue() : null,
                args.matchedOptionValue("--name", null), args.matchedOptionValue("--suite", null),
                VmSpecOptions.mib(args, "--size"), extra, args.matchedOptionValue("--mirror", null));
    }

    private static void importOptions(CommandSpec spec) {
        spec.addOption(Verb.option("NAME", String.class, "image name", "--name"));
        spec.addOption(Verb.option("FILE", String.class, "kernel: bzImage (QEMU) or ELF vmlinux (Firecracker)", "--kernel"));
        spec.addOption(Verb.option("FILE", String.class, "ext4 root filesystem image", "--rootfs"));
        spec.addOption(Verb.option("FILE", String.class, "initramfs (optional)", "--initrd"));
    }

    /** The daemon does not share this shell's working directory: the paths are sent absolute. */
    private static Params.ImageImport importRequest(ParseResult args) {
        String name = args.matchedOptionValue("--name", null);
        String kernel = args.matchedOptionValue("--kernel", null);
        String rootfs = args.matchedOptionValue("--rootfs", null);
        if (name == null || kernel == null || rootfs == null) {
            throw BangerException.invalid("image import needs --name, --kernel and --rootfs");
        }
        String initrd = args.matchedOptionValue("--initrd", null);
        return new Params.ImageImport(name, absolute(kernel), absolute(rootfs), initrd == null ? null : absolute(initrd));
    }

    private static String absolute(String path) {
        return Path.of(path).toAbsolutePath().normalize().toString();
    }

    private static void table(Params.ImageList list, CliContext ctx) {
        Table t = new Table("NAME", "SOURCE", "DISTRO", "KERNEL", "DISK", "BUILT", "USED BY");
        for (Params.ImageInfo i : list.images()) {
            var m = i.manifest();
            t.row(m.name(), m.source(), m.distro() + (m.suite() == null ? "" : "/" + m.suite()), m.kernelVersion(),
                    mib(i.diskUsageBytes()), m.builtAt() == null ? null : m.builtAt().toString().substring(0, 16).replace('T', ' '),
                    String.join(",", i.usedBy()));
        }
        t.print(ctx.out());
    }

    private static void details(Params.ImageInfo i, CliContext ctx) {
        ImageManifest m = i.manifest();
        Table.fields(ctx.out(), new String[][] {
                {"Name", m.name()}, {"Source", m.source() + " (" + m.distro() + (m.suite() == null ? "" : " " + m.suite()) + ")"},
                {"Kernel", m.kernelVersion()}, {"Recipe", m.recipeVersion()},
                {"Built", m.builtAt() + (m.buildSeconds() > 0 ? " in " + m.buildSeconds() + " s" : "")},
                {"Boot styles", String.join(", ", m.initStyles())}, {"Directory", i.dir()},
                {"On disk", mib(i.diskUsageBytes())}, {"Packages", Integer.toString(m.packages().size())},
                {"Used by", i.usedBy().isEmpty() ? null : String.join(", ", i.usedBy())}});
        Table t = new Table("FILE", "ROLE", "SIZE", "SHA256");
        for (ImageManifest.FileEntry f : m.files()) {
            t.row(f.path(), f.role(), mib(f.size()), f.sha256().substring(0, 16) + "...");
        }
        t.print(ctx.out());
    }

    /** Bytes as whole MiB, rounded up ("?" when unknown). */
    static String mib(long bytes) {
        return bytes < 0 ? "?" : (bytes + (1 << 20) - 1) / (1 << 20) + " MiB";
    }
}
