package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.core.image.BuildCommands;
import dev.banger.core.image.ImageRecipe;
import dev.banger.core.image.KernelFormats;
import dev.banger.core.image.ModuleOrder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The original's verify.sh as code, plus what import needs: checks that an image directory holds what
 * its manifest says and what a banger VM needs, without mounting anything.
 */
public final class ImageChecks {
    /** Files the root filesystem must hold for a banger VM (either boot style). */
    static final List<String> ROOTFS_MUST_HOLD = List.of(
            "/usr/sbin/sshd", "/usr/bin/ss", ImageRecipe.GUEST_INIT, "/usr/lib/banger/boot", "/usr/lib/banger/apply-config",
            ImageRecipe.GUEST_AGENT_DIR + "/agent/banger-agent.jar", ImageRecipe.GUEST_AGENT_DIR + "/jre/bin/java");
    private static final Duration CHECK_TIMEOUT = Duration.ofMinutes(5);
    private static final int EXT_MAGIC_OFFSET = 1024 + 56;

    private ImageChecks() {
    }

    /** Allocated bytes (sparse files count what they really use), as du reports them. */
    public static long diskUsageBytes(Path dir) {
        HostCommand.Output out = HostCommand.run(List.of("du", "-s", "--block-size=1", dir.toString()), Duration.ofSeconds(30));
        if (!out.ok()) {
            return -1;
        }
        return Long.parseLong(out.text().trim().split("\\s+")[0]);
    }

    public static List<Params.Check> verify(Path dir, String name) {
        List<Params.Check> checks = new ArrayList<>();
        ImageManifest m;
        try {
            m = ImageBuilder.readManifest(dir);
            checks.add(new Params.Check("manifest", m.name().equals(name), m.name().equals(name)
                    ? "manifest.json readable, recipe " + m.recipeVersion() : "manifest names '" + m.name() + "', directory is '" + name + "'"));
        } catch (BangerException e) {
            checks.add(new Params.Check("manifest", false, e.getMessage()));
            return checks;
        }
        for (ImageManifest.FileEntry f : m.files()) {
            checks.add(fileMatches(dir, f));
        }
        ImageManifest.FileEntry bz = m.file(ImageManifest.ROLE_BZIMAGE);
        if (bz != null) {
            checks.add(headCheck("kernel " + bz.path(), dir.resolve(bz.path()), 1024,
                    head -> KernelFormats.isBzImage(head) ? null : "not a Linux bzImage (no HdrS header)"));
        }
        ImageManifest.FileEntry elf = m.file(ImageManifest.ROLE_VMLINUX);
        if (elf != null) {
            checks.add(headCheck("kernel " + elf.path(), dir.resolve(elf.path()), 64, head -> {
                KernelFormats.ElfInfo info = KernelFormats.elf(head);
                return info.bootableX86_64() ? null : "not a bootable x86-64 ELF: " + info.describe();
            }));
        }
        ImageManifest.FileEntry initrd = m.file(ImageManifest.ROLE_INITRD);
        if (initrd != null && m.source().equals("built")) {
            checks.add(initramfsHoldsModules(dir.resolve(initrd.path())));
        }
        ImageManifest.FileEntry rootfs = m.file(ImageManifest.ROLE_ROOTFS);
        if (rootfs != null) {
            Path image = dir.resolve(rootfs.path());
            HostCommand.Output fsck = HostCommand.run(BuildCommands.e2fsckReadOnly(image), CHECK_TIMEOUT);
            checks.add(new Params.Check("e2fsck -n " + rootfs.path(), fsck.ok(),
                    fsck.ok() ? "clean" : "exit " + fsck.exitStatus() + ": " + lastLines(fsck.text(), 5)));
            if (m.source().equals("built")) {
                for (String path : ROOTFS_MUST_HOLD) {
                    HostCommand.Output stat = HostCommand.run(BuildCommands.debugfsStat(image, path), CHECK_TIMEOUT);
                    boolean present = stat.ok() && stat.text().contains("Inode:") && !stat.text().contains("File not found");
                    checks.add(new Params.Check("rootfs holds " + path, present, present ? "present" : "missing"));
                }
            }
        }
        return checks;
    }

    private static Params.Check fileMatches(Path dir, ImageManifest.FileEntry f) {
        Path p = dir.resolve(f.path()).normalize();
        String check = "file " + f.path();
        if (!p.getParent().equals(dir.normalize())) {
            return new Params.Check(check, false, "path escapes the image directory");
        }
        try {
            if (!Files.isRegularFile(p)) {
                return new Params.Check(check, false, "missing");
            }
            long size = Files.size(p);
            if (size != f.size()) {
                return new Params.Check(check, false, "size " + size + ", manifest says " + f.size());
            }
            String sum = ImageBuilder.sha256(p);
            return sum.equals(f.sha256()) ? new Params.Check(check, true, "size and sha256 match")
                    : new Params.Check(check, false, "sha256 " + sum + ", manifest says " + f.sha256());
        } catch (IOException e) {
            return new Params.Check(check, false, e.toString());
        }
    }

    private static Params.Check initramfsHoldsModules(Path initrd) {
        HostCommand.Output list = HostCommand.run(BuildCommands.cpioList(initrd), CHECK_TIMEOUT);
        if (!list.ok()) {
            return new Params.Check("initramfs contents", false, "cannot list: " + lastLines(list.text(), 3));
        }
        Set<String> files = Set.copyOf(list.text().lines().map(l -> l.startsWith("./") ? l.substring(2) : l).toList());
        List<String> missing = new ArrayList<>();
        for (String needed : List.of("init", "bin/busybox", "lib/modules/load-order")) {
            if (!files.contains(needed)) {
                missing.add(needed);
            }
        }
        // Modules built into the kernel have no file; the rest must be there.
        long modules = files.stream().filter(f -> f.endsWith(".ko")).count();
        for (String m : ImageRecipe.INITRAMFS_MODULES) {
            boolean present = files.stream().anyMatch(f -> f.endsWith(".ko") && ModuleOrder.name(f).equals(m));
            if (!present) {
                missing.add(m + ".ko");
            }
        }
        return new Params.Check("initramfs contents", missing.isEmpty(),
                missing.isEmpty() ? "init, busybox and " + modules + " modules" : "missing " + String.join(", ", missing));
    }

    private interface HeadTest {
        String problem(byte[] head);
    }

    private static Params.Check headCheck(String name, Path file, int bytes, HeadTest test) {
        try (InputStream in = Files.newInputStream(file)) {
            String problem = test.problem(in.readNBytes(bytes));
            return new Params.Check(name, problem == null, problem == null ? "bootable format" : problem);
        } catch (IOException e) {
            return new Params.Check(name, false, e.toString());
        }
    }

    /** Copies user-supplied files into {@code work} and writes their manifest; rejects what cannot boot. */
    public static void importInto(Path work, String name, Params.ImageImport request, Instant now) throws IOException {
        if (request.kernel() == null || request.rootfs() == null) {
            throw BangerException.invalid("import needs --kernel and --rootfs");
        }
        Path kernel = readable(request.kernel(), "--kernel");
        Path rootfs = readable(request.rootfs(), "--rootfs");
        byte[] head;
        try (InputStream in = Files.newInputStream(kernel)) {
            head = in.readNBytes(1024);
        }
        String kernelFile;
        String kernelRole;
        if (KernelFormats.isBzImage(head)) {
            kernelFile = ImageRecipe.BZIMAGE;
            kernelRole = ImageManifest.ROLE_BZIMAGE;
        } else if (KernelFormats.elf(head).bootableX86_64()) {
            kernelFile = ImageRecipe.VMLINUX;
            kernelRole = ImageManifest.ROLE_VMLINUX;
        } else {
            throw BangerException.invalid(kernel + " is neither a Linux bzImage nor an x86-64 ELF vmlinux");
        }
        byte[] sb;
        try (InputStream in = Files.newInputStream(rootfs)) {
            sb = in.readNBytes(EXT_MAGIC_OFFSET + 2);
        }
        if (sb.length < EXT_MAGIC_OFFSET + 2 || (sb[EXT_MAGIC_OFFSET] & 0xff) != 0x53 || (sb[EXT_MAGIC_OFFSET + 1] & 0xff) != 0xEF) {
            throw BangerException.invalid(rootfs + " is not an ext2/3/4 filesystem image (no ext superblock magic)");
        }
        List<ImageManifest.FileEntry> files = new ArrayList<>();
        files.add(copy(kernel, work.resolve(kernelFile), kernelRole));
        files.add(copy(rootfs, work.resolve(ImageRecipe.ROOTFS), ImageManifest.ROLE_ROOTFS));
        if (request.initrd() != null) {
            files.add(copy(readable(request.initrd(), "--initrd"), work.resolve(ImageRecipe.INITRD), ImageManifest.ROLE_INITRD));
        }
        ImageBuilder.writeManifest(work, new ImageManifest(name, "imported", "unknown", null, null, null, now, 0, files,
                List.of(), List.of("image's own")));
    }

    private static ImageManifest.FileEntry copy(Path from, Path to, String role) throws IOException {
        // cp keeps a sparse rootfs sparse and reflinks where the filesystem can.
        HostCommand.Output cp = HostCommand.run(List.of("cp", "--sparse=always", "--reflink=auto", "--", from.toString(), to.toString()),
                Duration.ofMinutes(30));
        if (!cp.ok()) {
            throw new BangerException(ErrorCode.INTERNAL, "copying " + from + ": " + cp.text().strip());
        }
        return new ImageManifest.FileEntry(to.getFileName().toString(), role, Files.size(to), ImageBuilder.sha256(to));
    }

    private static Path readable(String path, String flag) {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw BangerException.invalid(flag + " must be an absolute path (the daemon does not share your working directory)");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw BangerException.invalid(flag + " " + path + " is not a readable file");
        }
        return p;
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.strip().lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
