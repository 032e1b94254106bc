package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.core.image.BuildCommands;
import dev.banger.core.image.ImageRecipe;
import dev.banger.core.image.InitramfsFormats;
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
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);
    private static final int EXT_MAGIC_OFFSET = 1024 + 56;
    /** Enough for a kernel's setup header or ELF header, an ext superblock, an initramfs magic after padding. */
    private static final int HEAD_BYTES = Math.max(KernelFormats.HEAD_BYTES, InitramfsFormats.HEAD_BYTES);
    /** Caps on imported files: a stream that never ends (a FIFO, a device) must not fill the disk. */
    private static final long MAX_KERNEL_BYTES = 1L << 30;
    private static final long MAX_INITRD_BYTES = 4L << 30;

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
            checks.add(headCheck("kernel " + bz.path(), dir.resolve(bz.path()), (head, size) -> {
                String problem = KernelFormats.bzImageProblem(head, size);
                return problem == null ? null : "not a bootable bzImage: " + problem;
            }));
        }
        ImageManifest.FileEntry elf = m.file(ImageManifest.ROLE_VMLINUX);
        if (elf != null) {
            checks.add(headCheck("kernel " + elf.path(), dir.resolve(elf.path()), (head, size) -> {
                KernelFormats.ElfInfo info = KernelFormats.elf(head);
                return info.bootableX86_64() ? null : "not a bootable x86-64 ELF: " + info.describe();
            }));
        }
        ImageManifest.FileEntry initrd = m.file(ImageManifest.ROLE_INITRD);
        if (initrd != null) {
            checks.add(headCheck("initramfs " + initrd.path(), dir.resolve(initrd.path()), (head, size) -> {
                InitramfsFormats.Identified format = InitramfsFormats.identify(head);
                return format.ok() ? null : format.problem();
            }));
        }
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
        String problem(byte[] head, long size);
    }

    private static Params.Check headCheck(String name, Path file, HeadTest test) {
        try (InputStream in = Files.newInputStream(file)) {
            String problem = test.problem(in.readNBytes(HEAD_BYTES), Files.size(file));
            return new Params.Check(name, problem == null, problem == null ? "bootable format" : problem);
        } catch (IOException e) {
            return new Params.Check(name, false, e.toString());
        }
    }

    /**
     * Copies user-supplied files into {@code work} and writes their manifest; rejects what cannot boot.
     * Each file is read with {@code caller}'s rights ({@link CallerFiles}) and it is the copy that is
     * checked, so what passed the checks is exactly what is kept.
     */
    public static void importInto(Path work, String name, Params.ImageImport request, Instant now, CallerFiles.Identity caller)
            throws IOException {
        if (request.kernel() == null || request.rootfs() == null) {
            throw BangerException.invalid("import needs --kernel and --rootfs");
        }
        Path kernel = absolute(request.kernel(), "--kernel");
        Path rootfs = absolute(request.rootfs(), "--rootfs");
        Path initrd = request.initrd() == null ? null : absolute(request.initrd(), "--initrd");
        List<ImageManifest.FileEntry> files = new ArrayList<>();

        String kernelLabel = "--kernel " + kernel;
        Path kernelCopy = work.resolve(".kernel");
        CallerFiles.Copied k = CallerFiles.copy(kernelLabel, kernel, kernelCopy, caller, MAX_KERNEL_BYTES, HEAD_BYTES,
                head -> kernelProblem(KernelFormats.identify(head, -1)), COPY_TIMEOUT);
        KernelFormats.Identified kind = KernelFormats.identify(k.head(), k.size());
        if (kind.kind() == null) {
            throw BangerException.invalid(kernelLabel + " " + kernelProblem(kind));
        }
        boolean bz = kind.kind() == KernelFormats.Kind.BZIMAGE;
        String kernelFile = bz ? ImageRecipe.BZIMAGE : ImageRecipe.VMLINUX;
        Files.move(kernelCopy, work.resolve(kernelFile));
        files.add(new ImageManifest.FileEntry(kernelFile, bz ? ImageManifest.ROLE_BZIMAGE : ImageManifest.ROLE_VMLINUX, k.size(), k.sha256()));

        CallerFiles.Copied r = CallerFiles.copy("--rootfs " + rootfs, rootfs, work.resolve(ImageRecipe.ROOTFS), caller,
                ImageRecipe.MAX_SIZE_MIB << 20, HEAD_BYTES, ImageChecks::rootfsProblem, COPY_TIMEOUT);
        files.add(new ImageManifest.FileEntry(ImageRecipe.ROOTFS, ImageManifest.ROLE_ROOTFS, r.size(), r.sha256()));

        if (initrd != null) {
            CallerFiles.Copied i = CallerFiles.copy("--initrd " + initrd, initrd, work.resolve(ImageRecipe.INITRD), caller,
                    MAX_INITRD_BYTES, HEAD_BYTES, head -> {
                        InitramfsFormats.Identified format = InitramfsFormats.identify(head);
                        return format.ok() ? null : "is not an initramfs the kernel can unpack: " + format.problem();
                    }, COPY_TIMEOUT);
            files.add(new ImageManifest.FileEntry(ImageRecipe.INITRD, ImageManifest.ROLE_INITRD, i.size(), i.sha256()));
        }
        ImageBuilder.writeManifest(work, new ImageManifest(name, "imported", "unknown", null, null, null, now, 0, files,
                List.of(), List.of("image's own")));
    }

    private static String kernelProblem(KernelFormats.Identified kind) {
        return kind.kind() != null ? null : "is not a kernel banger can boot: " + kind.problem();
    }

    /** An ext2/3/4 image has its superblock magic 0xEF53 (little endian) at byte 1080. */
    static String rootfsProblem(byte[] head) {
        boolean ext = head.length >= EXT_MAGIC_OFFSET + 2 && (head[EXT_MAGIC_OFFSET] & 0xff) == 0x53 && (head[EXT_MAGIC_OFFSET + 1] & 0xff) == 0xEF;
        return ext ? null : "is not an ext2/3/4 filesystem image (no ext superblock magic at byte " + EXT_MAGIC_OFFSET + ")";
    }

    /** Refused before any file is touched: the daemon does not share the caller's working directory. */
    private static Path absolute(String path, String flag) {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw BangerException.invalid(flag + " must be an absolute path (the daemon does not share your working directory)");
        }
        return p;
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.strip().lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
