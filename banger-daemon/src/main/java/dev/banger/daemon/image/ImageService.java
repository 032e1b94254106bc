package dev.banger.daemon.image;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.core.ImageNames;
import dev.banger.core.StatePaths;
import dev.banger.core.image.ImageRecipe;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.rpc.Caller;
import dev.banger.host.CallerFiles;
import dev.banger.host.CommandRunner;
import dev.banger.host.ImageBuildSpec;
import dev.banger.host.ImageBuilder;
import dev.banger.host.ImageChecks;
import dev.banger.host.SafeDelete;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

/**
 * Guest images: build (Debian recipe, Void recipe), import, list, show, delete, verify. An image is a
 * directory under images/ with a manifest; it appears only by an atomic rename of a finished build
 * directory, so a failed, interrupted or killed build is never listed, and its debris is swept at start.
 */
public final class ImageService {
    private static final Logger LOG = Logger.getLogger(ImageService.class.getName());

    private final StatePaths paths;
    private final Path installDir;
    private final VmStore vms;
    private final Clock clock;
    private final RandomGenerator random;
    /** One build at a time: a build saturates this machine's two cores and its disk. */
    private final ReentrantLock buildLock = new ReentrantLock();

    public ImageService(StatePaths paths, Path installDir, VmStore vms, Clock clock, RandomGenerator random) {
        this.paths = paths;
        this.installDir = installDir;
        this.vms = vms;
        this.clock = clock;
        this.random = random;
    }

    /** Removes build directories left by a daemon that died mid-build (there is no build running yet). */
    public void sweepDebris() {
        if (!Files.isDirectory(paths.imagesDir())) {
            return;
        }
        try (Stream<Path> entries = Files.list(paths.imagesDir())) {
            for (Path p : entries.toList()) {
                if (p.getFileName().toString().startsWith(StatePaths.IMAGE_BUILD_PREFIX)) {
                    LOG.warning("removing an unfinished image build left by an earlier daemon: " + p);
                    try {
                        SafeDelete.tree(p);
                    } catch (BangerException e) {
                        // Never fatal at start: the next start tries again.
                        LOG.warning("could not remove " + p + " (will retry at the next start): " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            LOG.warning("cannot sweep " + paths.imagesDir() + ": " + e);
        }
    }

    public Params.ImageInfo build(Params.ImageBuild request, Call call) {
        String distro = request.distro() == null ? "debian" : request.distro();
        if (!distro.equals("debian") && !distro.equals("void")) {
            throw BangerException.invalid("unknown distro '" + distro + "': banger builds 'debian' or 'void' images");
        }
        String suite = ImageRecipe.validateSuite(request.suite() == null ? ImageRecipe.DEFAULT_SUITE : request.suite());
        String name = ImageNames.validate(request.name() != null ? request.name()
                : distro.equals("void") ? "void" : ImageRecipe.defaultName(suite));
        long size = request.sizeMib() == null ? ImageRecipe.DEFAULT_SIZE_MIB : request.sizeMib();
        if (size < ImageRecipe.MIN_SIZE_MIB || size > ImageRecipe.MAX_SIZE_MIB) {
            throw BangerException.invalid("image size " + size + " MiB is out of range: use " + ImageRecipe.MIN_SIZE_MIB
                    + " MiB to " + ImageRecipe.MAX_SIZE_MIB / 1024 + " GiB");
        }
        List<String> packages = new ArrayList<>(ImageRecipe.DEBIAN_PACKAGES);
        if (request.packages() != null) {
            request.packages().forEach(p -> packages.add(ImageRecipe.validatePackage(p)));
        }
        if (request.mirror() != null && !request.mirror().matches("(https?|file)://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+")) {
            throw BangerException.invalid("mirror '" + request.mirror() + "' is not an http(s) or file URL");
        }
        if (request.mirror() != null && request.mirror().startsWith("file:") && !call.caller().isRoot()) {
            // debootstrap runs as root: a file:// mirror would read host directories the caller may not.
            throw new BangerException(ErrorCode.PERMISSION_DENIED, "a file:// mirror is read by the daemon as root, so only root may "
                    + "build from one; use an http(s) mirror, or run the build as root");
        }
        if (Files.exists(paths.imageDir(name))) {
            throw new BangerException(ErrorCode.NAME_TAKEN, "an image named '" + name
                    + "' exists; delete it first ('banger image rm " + name + "') or build with --name");
        }
        if (!buildLock.tryLock()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "another image build is running; wait for it to finish");
        }
        try {
            return runBuild(distro, name, suite, size, packages, request.mirror(), call);
        } finally {
            buildLock.unlock();
        }
    }

    private Params.ImageInfo runBuild(String distro, String name, String suite, long size, List<String> packages,
                                      String mirror, Call call) {
        Path work = paths.imageBuildDir(name, HexFormat.of().toHexDigits(random.nextInt()));
        Path log = work.resolve(ImageRecipe.BUILD_LOG);
        Instant started = clock.instant();
        List<String> steps = ImageRecipe.steps(distro);
        AtomicReference<String> phase = new AtomicReference<>(steps.get(0));
        AtomicReference<String> detail = new AtomicReference<>("");
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot create " + work + ": " + e.getMessage(), e);
        }
        Runnable report = () -> call.progress(new Params.Progress(phase.get(), steps.indexOf(phase.get()) + 1, steps.size(), null,
                Duration.between(started, clock.instant()).toMillis(), detail.get()));
        ImageBuilder.Progress progress = new ImageBuilder.Progress() {
            @Override
            public void step(String p, String message) {
                phase.set(p);
                detail.set(message);
                report.run();
            }

            @Override
            public void detail(String message) {
                detail.set(message);
            }
        };
        // Commands run under PR_SET_PDEATHSIG, which follows the thread that started them: a platform
        // thread that lives exactly as long as the build.
        Thread builder = Thread.ofPlatform().name("image-build-" + name).start(() -> {
            try (PrintStream logStream = new PrintStream(Files.newOutputStream(log), true, java.nio.charset.StandardCharsets.UTF_8)) {
                CommandRunner runner = new CommandRunner(logStream, call::cancelled);
                ImageBuildSpec spec = new ImageBuildSpec(distro, name, suite, size, packages, mirror, work, paths.packageCache(suite),
                        installDir.resolve("images"), installDir.resolve("banger-agent/target/banger-agent.jar"),
                        Path.of(System.getProperty("java.home")));
                new ImageBuilder(spec, runner, progress, clock).build();
            } catch (RuntimeException e) {
                failure.set(e);
            } catch (IOException e) {
                failure.set(new BangerException(ErrorCode.HOST_FAILURE, "cannot write " + log + ": " + e.getMessage(), e));
            }
        });
        try {
            while (!builder.join(Duration.ofSeconds(1))) {
                report.run(); // a heartbeat: elapsed time for the user, and a write that notices a caller who left
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null || call.cancelled()) {
            throw abandon(name, work, log, failure.get(), call.cancelled());
        }
        phase.set("publish");
        detail.set("publishing images/" + name);
        report.run();
        try {
            Files.move(work, paths.imageDir(name), StandardCopyOption.ATOMIC_MOVE);
            dev.banger.host.AtomicFiles.fsyncDirectory(paths.imagesDir());
        } catch (IOException e) {
            throw abandon(name, work, log, new BangerException(ErrorCode.HOST_FAILURE, "cannot publish the image: " + e.getMessage(), e), false);
        }
        LOG.info("built image " + name + " in " + Duration.between(started, clock.instant()).toSeconds() + " s");
        return info(name);
    }

    /** Keeps the log where the user can read it, removes everything else the build made. */
    private BangerException abandon(String name, Path work, Path log, RuntimeException cause, boolean cancelled) {
        Path kept = paths.logsDir().resolve("image-build-" + name + "-"
                + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC).format(clock.instant()) + ".log");
        try {
            Files.createDirectories(kept.getParent());
            if (Files.exists(log)) {
                Files.move(log, kept, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warning("cannot keep the build log: " + e);
        }
        SafeDelete.tree(work);
        if (cancelled) {
            LOG.info("image build " + name + " cancelled by its caller; cleaned up");
            return new BangerException(ErrorCode.FAILED_PRECONDITION, "image build cancelled; nothing was kept but the log " + kept);
        }
        String message = cause.getMessage() + "\nfull build log: " + kept;
        return cause instanceof BangerException b ? new BangerException(b.code(), "image build failed: " + message, cause)
                : new BangerException(ErrorCode.INTERNAL, "image build failed: " + message, cause);
    }

    public Params.ImageList list() {
        List<Params.ImageInfo> out = new ArrayList<>();
        if (Files.isDirectory(paths.imagesDir())) {
            try (Stream<Path> entries = Files.list(paths.imagesDir())) {
                for (Path p : entries.sorted().toList()) {
                    String n = p.getFileName().toString();
                    if (!n.startsWith(".") && Files.isRegularFile(p.resolve(ImageRecipe.MANIFEST))) {
                        out.add(info(n));
                    }
                }
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list " + paths.imagesDir() + ": " + e.getMessage(), e);
            }
        }
        return new Params.ImageList(out);
    }

    public Params.ImageInfo info(String name) {
        Path dir = existing(name);
        ImageManifest manifest = ImageBuilder.readManifest(dir);
        return new Params.ImageInfo(manifest, dir.toString(), ImageChecks.diskUsageBytes(dir), vms.namesUsingImage(name));
    }

    public Params.ImageDeleted delete(String name) {
        Path dir = existing(name);
        List<String> users = vms.namesUsingImage(name);
        if (!users.isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "image '" + name + "' is used by VM" + (users.size() > 1 ? "s " : " ")
                    + String.join(", ", users) + ": delete " + (users.size() > 1 ? "them" : "it") + " first");
        }
        // Rename first, so a crash mid-delete leaves debris the next start sweeps, never a half image.
        Path doomed = paths.imageBuildDir(name, "deleting");
        try {
            Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot remove image " + name + ": " + e.getMessage(), e);
        }
        SafeDelete.tree(doomed);
        return new Params.ImageDeleted(name);
    }

    public Params.ImageVerification verify(String name) {
        Path dir = existing(name);
        List<Params.Check> checks = ImageChecks.verify(dir, name);
        return new Params.ImageVerification(name, checks.stream().allMatch(Params.Check::ok), checks);
    }

    /**
     * Imports the caller's kernel, rootfs and initrd. The daemon is root; the files are read with the
     * caller's rights (host.CallerFiles), so a caller imports only what they could read themselves.
     */
    public Params.ImageInfo importImage(Params.ImageImport request, Caller caller) {
        String name = ImageNames.validate(request.name());
        CallerFiles.Identity reader = readerOf(caller);
        if (Files.exists(paths.imageDir(name))) {
            throw new BangerException(ErrorCode.NAME_TAKEN, "an image named '" + name + "' exists; choose another --name");
        }
        Path work = paths.imageBuildDir(name, HexFormat.of().toHexDigits(random.nextInt()));
        try {
            Files.createDirectories(work);
            ImageChecks.importInto(work, name, request, clock.instant(), reader);
            Files.move(work, paths.imageDir(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            SafeDelete.tree(work);
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot import image " + name + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            SafeDelete.tree(work);
            throw e;
        }
        LOG.info("imported image " + name + " for " + caller);
        return info(name);
    }

    /** Whose rights the caller's files are read with; a caller the daemon cannot identify gets nothing read. */
    private static CallerFiles.Identity readerOf(Caller caller) {
        if (caller.isRoot()) {
            return CallerFiles.Identity.ROOT;
        }
        if (caller.uid() == Caller.UNKNOWN || caller.gid() == Caller.UNKNOWN) {
            throw new BangerException(ErrorCode.PERMISSION_DENIED, "banger cannot tell which user and group you are (the peer "
                    + "credentials of your connection name " + caller.user() + "), so it reads no file on your behalf");
        }
        // The JDK names a uid without an account by its number: such a caller has no supplementary groups to look up.
        boolean hasAccount = caller.user() != null && !caller.user().chars().allMatch(Character::isDigit);
        return new CallerFiles.Identity(caller.uid(), caller.gid(), hasAccount);
    }

    private Path existing(String name) {
        Path dir = paths.imageDir(ImageNames.validate(name));
        if (!Files.isRegularFile(dir.resolve(ImageRecipe.MANIFEST))) {
            throw BangerException.notFound("no image named '" + name + "' ('banger image list' shows them; "
                    + "'banger image build' makes the default one)");
        }
        return dir;
    }
}
