package dev.banger.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Json;
import dev.banger.core.image.BuildCommands;
import dev.banger.core.image.ImageRecipe;
import dev.banger.core.image.KernelFormats;
import dev.banger.core.image.ModuleOrder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds a guest image into a work directory, step by step (ImageRecipe.steps): the root filesystem
 * (Debian: debootstrap, then images/debian/customize.sh; Void: images/void/make-rootfs.sh), Debian's
 * cloud kernel (from the new system's apt, or the host's for Void), the guest agent and its jlink
 * runtime, banger's initramfs, the ELF vmlinux, the ext4 image and the manifest. Publication (renaming
 * the work directory) is the caller's last step.
 */
public final class ImageBuilder {
    /** Receives a step as it starts, and lines of progress inside it. */
    public interface Progress {
        void step(String phase, String message);

        void detail(String message);
    }

    private static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(10);
    private static final String BUSYBOX_STATIC = "/bin/busybox";
    /** images/void/make-rootfs.sh's exit status when the mirror cannot be reached. */
    private static final int VOID_UNREACHABLE = 3;

    private final ImageBuildSpec spec;
    private final CommandRunner runner;
    private final Progress progress;
    private final Clock clock;
    private final Path root;

    public ImageBuilder(ImageBuildSpec spec, CommandRunner runner, Progress progress, Clock clock) {
        this.spec = spec;
        this.runner = runner;
        this.progress = progress;
        this.clock = clock;
        this.root = spec.workDir().resolve("rootfs");
    }

    /** Runs every step but "publish"; returns the manifest it wrote. */
    public ImageManifest build() {
        Instant started = clock.instant();
        boolean isVoid = spec.distro().equals("void");
        String kernelVersion;
        if (isVoid) {
            progress.step("rootfs-void", "running images/void/make-rootfs.sh");
            List<String> argv = new ArrayList<>(List.of("bash", spec.recipeDir().resolve("void/make-rootfs.sh").toString(), root.toString()));
            if (spec.mirror() != null) {
                argv.add(spec.mirror());
            }
            CommandRunner.Result r = runner.run(argv, DEBOOTSTRAP_TIMEOUT, null, Map.of(), line -> progress.detail(line));
            if (r.exitStatus() == VOID_UNREACHABLE) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, String.join("\n", r.tail()));
            }
            if (!r.ok()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "images/void/make-rootfs.sh failed with exit status " + r.exitStatus()
                        + ":\n  " + String.join("\n  ", r.tail()));
            }
            progress.step("kernel", "fetching the cloud kernel with the host's apt");
            kernelVersion = installKernel(null);
            progress.step("agent", "installing the guest agent and its Java runtime");
            installAgent();
        } else {
            progress.step("mirror", "finding the Debian mirror");
            String mirror = spec.mirror() != null ? spec.mirror() : AptSourcesFiles.mirror(spec.suite());
            progress.detail("mirror " + mirror);

            progress.step("debootstrap", "debootstrap " + spec.suite() + " from " + mirror);
            mkdirs(spec.packageCache());
            runner.check(BuildCommands.debootstrap(spec.suite(), mirror, spec.packages(), spec.packageCache(), root),
                    DEBOOTSTRAP_TIMEOUT, null, Map.of(), line -> {
                        if (line.startsWith("I: ") || line.startsWith("E: ") || line.startsWith("W: ")) {
                            progress.detail(line.substring(3));
                        }
                    });

            progress.step("kernel", "fetching the cloud kernel");
            kernelVersion = installKernel(root);
            progress.detail("kernel " + kernelVersion);

            progress.step("agent", "installing the guest agent and its Java runtime");
            installAgent();

            progress.step("customize", "running images/debian/customize.sh");
            runner.check(BuildCommands.customize(spec.recipeDir().resolve("debian/customize.sh"), root), STEP_TIMEOUT,
                    null, Map.of(), line -> { });
        }

        progress.step("agent-cache", "recording the guest agent's AOT cache (a training run in the new system)");
        trainAgent();

        progress.step("initramfs", "building the initramfs");
        buildInitramfs(kernelVersion);

        progress.step("vmlinux", "extracting the ELF vmlinux for Firecracker");
        extractVmlinux();

        progress.step("rootfs", "making the ext4 root filesystem (" + spec.sizeMib() + " MiB, sparse)");
        List<String> packages = isVoid ? List.of() : installedPackages();
        logLargestDirectories();
        runner.check(BuildCommands.mkfsExt4(spec.workDir().resolve(ImageRecipe.ROOTFS), root, "banger-root", spec.sizeMib()),
                STEP_TIMEOUT);
        SafeDelete.tree(root);

        progress.step("manifest", "writing the manifest");
        ImageManifest manifest = new ImageManifest(spec.name(), "built", spec.distro(), isVoid ? "current" : spec.suite(), kernelVersion,
                ImageRecipe.RECIPE_VERSION, clock.instant(), Duration.between(started, clock.instant()).toSeconds(),
                List.of(entry(ImageRecipe.BZIMAGE, ImageManifest.ROLE_BZIMAGE), entry(ImageRecipe.VMLINUX, ImageManifest.ROLE_VMLINUX),
                        entry(ImageRecipe.INITRD, ImageManifest.ROLE_INITRD), entry(ImageRecipe.ROOTFS, ImageManifest.ROLE_ROOTFS)),
                packages, List.of("fast", "systemd"));
        writeManifest(spec.workDir(), manifest);
        return manifest;
    }

    /**
     * Downloads the versioned cloud kernel with apt (the new system's when {@code aptRoot} is given, else
     * the host's), unpacks it and keeps its modules in the rootfs.
     */
    private String installKernel(Path aptRoot) {
        HostCommand.Output depends = HostCommand.run(aptRoot == null ? BuildCommands.kernelDepends() : BuildCommands.kernelDepends(aptRoot),
                STEP_TIMEOUT);
        if (!depends.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "apt-cache in the new root cannot resolve " + ImageRecipe.KERNEL_METAPACKAGE
                    + ": " + depends.text().strip());
        }
        String pkg = ImageRecipe.kernelPackage(depends.text());
        Path downloads = aptRoot == null ? spec.workDir().resolve("kernel-deb") : root.resolve("tmp/banger-kernel");
        mkdirs(downloads);
        runner.check(aptRoot == null ? BuildCommands.aptDownload(downloads, pkg) : BuildCommands.aptDownload(root, "/tmp/banger-kernel", pkg),
                STEP_TIMEOUT);
        Path deb = only(downloads, ".deb");
        Path unpacked = spec.workDir().resolve("kernel");
        runner.check(BuildCommands.dpkgExtract(deb, unpacked), STEP_TIMEOUT);
        SafeDelete.tree(downloads);
        Path modules = unpacked.resolve("lib/modules");
        String version;
        try (Stream<Path> versions = Files.list(modules)) {
            version = versions.map(p -> p.getFileName().toString()).findFirst()
                    .orElseThrow(() -> new BangerException(ErrorCode.HOST_FAILURE, pkg + " holds no kernel modules"));
        } catch (IOException e) {
            throw io("reading " + modules, e);
        }
        try {
            Files.copy(unpacked.resolve("boot/vmlinuz-" + version), spec.workDir().resolve(ImageRecipe.BZIMAGE),
                    StandardCopyOption.REPLACE_EXISTING);
            mkdirs(root.resolve("lib/modules"));
            Path target = root.resolve("lib/modules").resolve(version);
            SafeDelete.tree(target);
            Files.move(modules.resolve(version), target);
        } catch (IOException e) {
            throw io("installing kernel " + version, e);
        }
        SafeDelete.tree(unpacked);
        runner.check(BuildCommands.depmod(root, version), STEP_TIMEOUT);
        return version;
    }

    private void installAgent() {
        Path optBanger = root.resolve(ImageRecipe.GUEST_AGENT_DIR.substring(1));
        Path jre = optBanger.resolve("jre");
        SafeDelete.tree(jre);
        mkdirs(optBanger);
        runner.check(BuildCommands.jlink(spec.jdkHome(), jre, List.of("java.base", "jdk.net")), STEP_TIMEOUT);
        Path agentDir = optBanger.resolve("agent");
        Path libDir = agentDir.resolve("lib");
        mkdirs(libDir);
        try {
            Files.copy(spec.agentJar(), agentDir.resolve("banger-agent.jar"), StandardCopyOption.REPLACE_EXISTING);
            Path sourceLib = spec.agentJar().resolveSibling("lib");
            if (Files.isDirectory(sourceLib)) {
                try (Stream<Path> jars = Files.list(sourceLib)) {
                    for (Path jar : jars.toList()) {
                        Files.copy(jar, libDir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw io("installing the guest agent", e);
        }
    }

    /**
     * The agent's AOT cache, made by a training run of the agent in the new system. Without it the agent
     * works and starts slower, so a failure is a warning (with the run's last lines), not the build's end.
     */
    private void trainAgent() {
        Path cache = root.resolve(ImageRecipe.GUEST_AGENT_DIR.substring(1)).resolve("agent/banger-agent.aot");
        if (!Files.isExecutable(root.resolve("usr/lib/banger/agent-run"))) {
            progress.detail("no /usr/lib/banger/agent-run in this system: the agent starts without an AOT cache");
            return;
        }
        CommandRunner.Result r = runner.run(BuildCommands.trainAgent(root), STEP_TIMEOUT, null, Map.of(), line -> { });
        if (!r.ok() || !Files.isRegularFile(cache)) {
            try {
                Files.deleteIfExists(cache);
            } catch (IOException e) {
                throw io("removing a partial AOT cache", e);
            }
            progress.detail("warning: the guest agent's AOT cache could not be made (exit status " + r.exitStatus() + "): the agent works, "
                    + "and starts slower. " + String.join(" / ", r.tail()));
        }
    }

    /** busybox (static) + the recipe's init + the modules banger needs, in load order. */
    private void buildInitramfs(String kernelVersion) {
        Path tree = spec.workDir().resolve("initramfs");
        SafeDelete.tree(tree);
        Path moduleDir = root.resolve("lib/modules").resolve(kernelVersion);
        try {
            Path modOut = tree.resolve("lib/modules");
            mkdirs(tree.resolve("bin"));
            mkdirs(modOut);
            for (String d : List.of("dev", "proc", "sys", "newroot", "run", "tmp")) {
                mkdirs(tree.resolve(d));
            }
            Path busybox = Path.of(BUSYBOX_STATIC);
            if (!isStatic(busybox)) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, BUSYBOX_STATIC
                        + " is not a static busybox: install Debian's busybox-static package (./setup.sh does)");
            }
            Files.copy(busybox, tree.resolve("bin/busybox"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(spec.recipeDir().resolve("initramfs/init"), tree.resolve("init"), StandardCopyOption.REPLACE_EXISTING);
            tree.resolve("init").toFile().setExecutable(true, false);
            tree.resolve("bin/busybox").toFile().setExecutable(true, false);
            var deps = ModuleOrder.parse(Files.readString(moduleDir.resolve("modules.dep")));
            Set<String> builtin = ModuleOrder.parseBuiltin(Files.readString(moduleDir.resolve("modules.builtin")));
            List<String> order = ModuleOrder.loadOrder(deps, ImageRecipe.INITRAMFS_MODULES, builtin);
            List<String> names = new ArrayList<>();
            for (String rel : order) {
                Path file = moduleDir.resolve(rel);
                String name = file.getFileName().toString();
                Files.copy(file, modOut.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                names.add(name);
            }
            Files.writeString(modOut.resolve("load-order"), String.join("\n", names) + "\n");
            progress.detail("modules: " + String.join(" ", names));
            List<String> entries;
            try (Stream<Path> walk = Files.walk(tree)) {
                entries = walk.map(p -> tree.relativize(p).toString()).map(s -> s.isEmpty() ? "." : "./" + s).sorted().toList();
            }
            Path list = spec.workDir().resolve("initramfs.list");
            Files.write(list, entries);
            runner.check(BuildCommands.cpioCreate(tree, list, spec.workDir().resolve(ImageRecipe.INITRD)), STEP_TIMEOUT);
            Files.delete(list);
        } catch (IOException e) {
            throw io("building the initramfs", e);
        }
        SafeDelete.tree(tree);
    }

    /**
     * Firecracker boots an uncompressed ELF: the bzImage's payload is an LZ4 legacy frame, which lz4
     * decompresses. lz4 exits non-zero on the bytes after the frame, so success is judged by the result
     * being a bootable x86-64 ELF, not by the exit status.
     */
    private void extractVmlinux() {
        Path bz = spec.workDir().resolve(ImageRecipe.BZIMAGE);
        Path payload = spec.workDir().resolve("vmlinuz.lz4");
        Path vmlinux = spec.workDir().resolve(ImageRecipe.VMLINUX);
        try {
            byte[] image = Files.readAllBytes(bz);
            if (!KernelFormats.isBzImage(image)) {
                throw new BangerException(ErrorCode.HOST_FAILURE, bz + " is not a bzImage");
            }
            int offset = KernelFormats.lz4LegacyOffset(image);
            if (offset < 0) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the kernel is not LZ4-compressed; banger cannot extract a vmlinux from it");
            }
            Files.write(payload, Arrays.copyOfRange(image, offset, image.length));
            runner.run(BuildCommands.lz4Decompress(payload, vmlinux), STEP_TIMEOUT, null, Map.of(), line -> { });
            Files.delete(payload);
            byte[] head;
            try (InputStream in = Files.newInputStream(vmlinux)) {
                head = in.readNBytes(64);
            }
            KernelFormats.ElfInfo elf = KernelFormats.elf(head);
            if (!elf.bootableX86_64()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "the extracted vmlinux is not a bootable x86-64 ELF (" + elf.describe() + ")");
            }
            progress.detail("vmlinux: " + elf.describe() + ", " + Files.size(vmlinux) / (1024 * 1024) + " MiB");
        } catch (IOException e) {
            throw io("extracting vmlinux", e);
        }
    }

    /** The biggest directories of the root filesystem, into the build log: where an image's size goes. */
    private void logLargestDirectories() {
        HostCommand.Output du = HostCommand.run(List.of("du", "-x", "-k", "--max-depth=3", root.toString()), STEP_TIMEOUT);
        if (!du.ok()) {
            return;
        }
        List<String[]> rows = du.text().lines().map(l -> l.split("\t", 2)).filter(f -> f.length == 2)
                .sorted((a, b) -> Long.compare(Long.parseLong(b[0]), Long.parseLong(a[0]))).limit(15).toList();
        runner.note("# largest directories in the root filesystem (MiB):");
        for (String[] r : rows) {
            runner.note(String.format("#   %6.1f  %s", Long.parseLong(r[0]) / 1024.0, "/" + root.relativize(Path.of(r[1]))));
        }
    }

    private List<String> installedPackages() {
        HostCommand.Output out = HostCommand.run(BuildCommands.installedPackages(root), STEP_TIMEOUT);
        if (!out.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "dpkg-query failed: " + out.text().strip());
        }
        return out.text().lines().filter(l -> !l.isBlank()).sorted().toList();
    }

    private ImageManifest.FileEntry entry(String file, String role) {
        Path p = spec.workDir().resolve(file);
        try {
            return new ImageManifest.FileEntry(file, role, Files.size(p), sha256(p));
        } catch (IOException e) {
            throw io("hashing " + p, e);
        }
    }

    /** Writes manifest.json atomically (temp file, fsync, rename). */
    public static void writeManifest(Path dir, ImageManifest manifest) {
        try {
            AtomicFiles.write(dir.resolve(ImageRecipe.MANIFEST), Json.pretty(manifest) + "\n");
        } catch (IOException e) {
            throw io("writing the manifest", e);
        }
    }

    public static ImageManifest readManifest(Path dir) {
        Path file = dir.resolve(ImageRecipe.MANIFEST);
        try {
            return Json.MAPPER.readValue(Files.readString(file), ImageManifest.class);
        } catch (JsonProcessingException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, file + " is not a valid manifest: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw io("reading " + file, e);
        }
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isStatic(Path binary) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(binary)) {
            head = in.readNBytes(4096);
        }
        // A dynamic ELF names its interpreter (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2.
        return KernelFormats.elf(head).elf() && !new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).contains("/ld-linux");
    }

    private static Path only(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
            if (found.size() != 1) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "expected one " + suffix + " in " + dir + ", found " + found.size());
            }
            return found.get(0);
        } catch (IOException e) {
            throw io("listing " + dir, e);
        }
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw io("creating " + dir, e);
        }
    }

    private static BangerException io(String what, IOException e) {
        String msg = e.getMessage() != null && e.getMessage().contains("No space left") ? " (the disk is full: free space and retry)" : "";
        return new BangerException(ErrorCode.HOST_FAILURE, what + ": " + e + msg, e);
    }
}
