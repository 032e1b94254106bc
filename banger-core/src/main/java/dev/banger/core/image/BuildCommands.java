package dev.banger.core.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The argv of every host command an image build runs: pure, so each is unit-tested and never a shell line. */
public final class BuildCommands {
    private BuildCommands() {
    }

    public static List<String> debootstrap(String suite, String mirror, List<String> packages, Path cacheDir, Path target) {
        List<String> argv = new ArrayList<>(List.of("debootstrap", "--variant=minbase", "--cache-dir=" + cacheDir,
                "--include=" + String.join(",", packages)));
        // debootstrap takes no "--"; the suite is validated (ImageRecipe.validateSuite), the target is ours
        // and the mirror an http(s)/file URL, so none can be read as an option.
        argv.addAll(List.of(suite, target.toString(), mirror));
        return argv;
    }

    /** Asks the new system's apt which versioned package the kernel metapackage stands for. */
    public static List<String> kernelDepends(Path root) {
        return List.of("chroot", root.toString(), "apt-cache", "depends", "--no-recommends", "--no-suggests",
                "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", ImageRecipe.KERNEL_METAPACKAGE);
    }

    /** The same question to the host's own apt (for recipes whose system has no apt, e.g. Void). */
    public static List<String> kernelDepends() {
        return List.of("apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                "--no-replaces", "--no-enhances", ImageRecipe.KERNEL_METAPACKAGE);
    }

    /** Downloads a package with the host's apt into {@code dir}. */
    public static List<String> aptDownload(Path dir, String pkg) {
        return List.of("bash", "-c", "cd \"$1\" && exec apt-get -q download \"$2\"", "apt-download", dir.toString(),
                ImageRecipe.validatePackage(pkg));
    }

    /** Downloads (not installs) a package with the new system's apt, into {@code dirInRoot} (a path inside the chroot). */
    public static List<String> aptDownload(Path root, String dirInRoot, String pkg) {
        return List.of("chroot", root.toString(), "sh", "-c", "cd \"$1\" && exec apt-get -q download \"$2\"", "apt-download",
                dirInRoot, ImageRecipe.validatePackage(pkg));
    }

    public static List<String> dpkgExtract(Path deb, Path target) {
        return List.of("dpkg-deb", "-x", deb.toString(), target.toString());
    }

    public static List<String> depmod(Path base, String kernelVersion) {
        return List.of("depmod", "-b", base.toString(), kernelVersion);
    }

    public static List<String> jlink(Path jdkHome, Path output, List<String> modules) {
        return List.of(jdkHome.resolve("bin/jlink").toString(), "--add-modules", String.join(",", modules),
                "--strip-debug", "--no-man-pages", "--no-header-files", "--compress=zip-6",
                // The runtime's own class-data sharing archive: the agent's JVM maps the JDK's classes instead of
                // parsing them, which is most of its start under TCG.
                "--generate-cds-archive", "--output", output.toString());
    }

    /**
     * Records the guest agent's AOT cache inside the new system: its own launcher, in training mode, so the
     * JVM, flags and jar paths are the ones the guest will use (a cache made otherwise would be refused).
     * The JVM needs /proc (the dynamic loader finds the launcher's libraries through /proc/self/exe): a
     * private one, in a mount and PID namespace of the run's own, gone when it ends.
     */
    public static List<String> trainAgent(Path root) {
        return List.of("unshare", "--mount", "--pid", "--fork", "--mount-proc=" + root.resolve("proc"),
                "chroot", root.toString(), "/usr/lib/banger/agent-run", "train");
    }

    public static List<String> customize(Path script, Path root) {
        return List.of("bash", script.toString(), root.toString());
    }

    /** Packs the initramfs tree with cpio (newc, as the kernel reads it), owned by root. */
    public static List<String> cpioCreate(Path tree, Path listFile, Path output) {
        // cpio reads the file list on stdin; bash supplies it from the list file (argv only, no user data in the line).
        return List.of("bash", "-c", "cd \"$1\" && cpio --quiet -o -H newc -R 0:0 < \"$2\" | gzip -6 > \"$3\"", "cpio",
                tree.toString(), listFile.toString(), output.toString());
    }

    public static List<String> lz4Decompress(Path input, Path output) {
        return List.of("lz4", "-d", "-f", "-q", input.toString(), output.toString());
    }

    /** A sparse ext4 image filled from a directory, no loop mount. */
    public static List<String> mkfsExt4(Path image, Path fromDir, String label, long sizeMib) {
        return List.of("mkfs.ext4", "-q", "-F", "-L", label, "-E", "root_owner=0:0", "-d", fromDir.toString(),
                image.toString(), sizeMib + "M");
    }

    public static List<String> e2fsckReadOnly(Path image) {
        return List.of("e2fsck", "-n", "-f", image.toString());
    }

    /** Lists a file inside an ext4 image without mounting it. */
    public static List<String> debugfsStat(Path image, String pathInImage) {
        return List.of("debugfs", "-R", "stat " + pathInImage, image.toString());
    }

    public static List<String> cpioList(Path initrd) {
        return List.of("bash", "-c", "gzip -dc \"$1\" | cpio --quiet -t", "cpio-list", initrd.toString());
    }

    public static List<String> installedPackages(Path root) {
        return List.of("dpkg-query", "--admindir=" + root.resolve("var/lib/dpkg"), "-W", "-f=${Package}=${Version}\\n");
    }

    public static List<String> umountLazy(String mountPoint) {
        return List.of("umount", "-l", mountPoint);
    }
}
