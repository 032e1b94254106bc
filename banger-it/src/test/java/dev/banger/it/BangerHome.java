package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A fresh, isolated BANGER_HOME for one test (or test class), and the way to drive banger in it: the real
 * {@code bin/banger} launcher in a child process, and raw connections to the daemon's socket.
 * {@link #close()} stops the daemon it may have started, kills any that is left and deletes the home.
 *
 * <p>The home is short ({@code /tmp/bhXXXX}) because Unix socket paths are limited to 107 bytes.
 */
final class BangerHome implements AutoCloseable {
    static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path repo;
    private final Path home;

    private BangerHome(Path repo, Path home) {
        this.repo = repo;
        this.home = home;
    }

    /** A new empty home (mode 0700, root's). */
    static BangerHome create() {
        Path repo = repo();
        try {
            return new BangerHome(repo, Files.createTempDirectory(Path.of("/tmp"), "bh").toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The banger checkout under test (failsafe sets banger.repo); setup.sh must have built it. */
    static Path repo() {
        String prop = System.getProperty("banger.repo");
        if (prop == null || prop.isBlank()) {
            fail("system property banger.repo is not set: run the integration tests through Maven (failsafe sets it)");
        }
        Path repo = Path.of(prop).toAbsolutePath().normalize();
        for (String required : List.of("bin/banger", "bin/bangerd", "banger-cli/target/banger.jar", "banger-daemon/target/bangerd.jar")) {
            if (!Files.exists(repo.resolve(required))) {
                fail(repo.resolve(required) + " is missing: build the checkout with ./setup.sh first");
            }
        }
        return repo;
    }

    Path path() {
        return home;
    }

    /** The image a VM gets when none is named (BangerConfig's default). */
    static final String DEFAULT_IMAGE = "debian-bookworm";

    /**
     * Imports, as the default image, files that pass {@code image import}'s checks but cannot boot: a
     * kernel that is only a bzImage setup header ({@link #placeholderKernel()}) and an empty 8 MiB ext4. For tests about VM records, which
     * need an image to exist (create refuses an unknown one) but never start a VM.
     */
    void importPlaceholderImage() {
        try {
            Path dir = Files.createDirectories(home.resolve("placeholder-image"));
            Files.write(dir.resolve("vmlinuz"), placeholderKernel());
            Path rootfs = dir.resolve("rootfs.ext4");
            Result mkfs = run(List.of("mkfs.ext4", "-q", "-F", rootfs.toString(), "8M"), CLI_TIMEOUT);
            assertThat(mkfs.exitCode()).as("%s", mkfs).isZero();
            ok("image", "import", "--name", DEFAULT_IMAGE, "--kernel", dir.resolve("vmlinuz").toString(), "--rootfs", rootfs.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A bzImage setup header and nothing to boot: setup_sects 4 (2,560 bytes of real-mode code), "HdrS",
     * boot protocol 2.15, in a 4 KiB file, so import's kernel check passes.
     */
    static byte[] placeholderKernel() {
        byte[] kernel = new byte[4096];
        kernel[0x1f1] = 4;
        System.arraycopy("HdrS".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, kernel, 0x202, 4);
        kernel[0x206] = 0x0f;
        kernel[0x207] = 0x02;
        return kernel;
    }

    Path repoDir() {
        return repo;
    }

    Path socket() {
        return home.resolve("run/bangerd.sock");
    }

    Path database() {
        return home.resolve("state.db");
    }

    Path log() {
        return home.resolve("bangerd.log");
    }

    Path configFile() {
        return home.resolve("config.toml");
    }

    // ---- running the CLI

    /** The outcome of one command. */
    record Result(List<String> command, int exitCode, String stdout, String stderr, Duration took) {
        JsonNode json() {
            try {
                return JSON.readTree(stdout);
            } catch (JsonProcessingException e) {
                throw new AssertionError("stdout of " + this + " is not JSON: " + e.getOriginalMessage(), e);
            }
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + " in " + took.toMillis() + " ms"
                    + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr;
        }
    }

    /** Runs {@code bin/banger args...} with BANGER_HOME set to this home. */
    Result banger(String... args) {
        List<String> command = new ArrayList<>();
        command.add(repo.resolve("bin/banger").toString());
        command.addAll(List.of(args));
        return run(command, CLI_TIMEOUT);
    }

    /** Runs {@code bin/banger args...} and asserts it exits 0. */
    Result ok(String... args) {
        Result r = banger(args);
        assertThat(r.exitCode()).as("exit status of %s", r).isZero();
        return r;
    }

    /** Runs any command with BANGER_HOME set to this home, in the checkout, stdin empty; kills it at the timeout. */
    Result run(List<String> command, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(repo.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("BANGER_HOME", home.toString());
        env.remove("BANGER_LOG_LEVEL");
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + timeout + "; killed it. stdout so far:\n"
                        + out.getNow("") + "\nstderr so far:\n" + err.getNow(""));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return new Result(List.copyOf(command), p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS), took);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new AssertionError("interrupted while waiting for " + command, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("cannot read the output of " + command
                    + " (a child process may still hold its stdout/stderr)", e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("drain").start(() -> {
            try (in) {
                result.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    // ---- the daemon

    /** Starts the daemon (if needed) the way a user does: any 'vm' command. */
    long startDaemon() {
        ok("vm", "list");
        return daemonPid();
    }

    /** The pid the running daemon reports (daemon status --json). */
    long daemonPid() {
        return ok("daemon", "status", "--json").json().get("pid").asLong();
    }

    /**
     * bangerd processes serving this home: named bangerd (or running bangerd.jar, should the launcher's
     * link be missing), with BANGER_HOME=this home in their environment.
     */
    List<ProcessHandle> daemons() {
        return ProcessHandle.allProcesses()
                .filter(p -> "bangerd".equals(comm(p.pid())) || cmdline(p.pid()).stream().anyMatch(a -> a.endsWith("/bangerd.jar")))
                .filter(p -> environ(p.pid()).contains("BANGER_HOME=" + home))
                .toList();
    }

    /** /proc/PID/comm: the process name the kernel shows (ps, pgrep), or null when the process is gone. */
    static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static List<String> environ(long pid) {
        return nulSeparated(pid, "environ");
    }

    private static List<String> cmdline(long pid) {
        return nulSeparated(pid, "cmdline");
    }

    private static List<String> nulSeparated(long pid, String file) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), file));
            return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Polls {@code condition} every 20 ms until it holds or {@code timeout} passes; returns whether it held. */
    static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** A raw JSON-RPC connection to this home's socket. */
    RpcConnection connect() {
        return RpcConnection.open(socket());
    }

    // ---- clean-up

    /** Stops the daemon (politely, then by force), then deletes the home. Safe to call when nothing runs. */
    @Override
    public void close() {
        try {
            if (Files.exists(socket())) {
                try {
                    run(List.of(repo.resolve("bin/banger").toString(), "daemon", "stop"), Duration.ofSeconds(30));
                } catch (AssertionError | RuntimeException e) {
                    // the forceful path below still cleans up
                }
            }
            for (ProcessHandle leftover : daemons()) {
                leftover.destroy();
                if (!await(Duration.ofSeconds(5), () -> !leftover.isAlive())) {
                    leftover.destroyForcibly();
                    await(Duration.ofSeconds(5), () -> !leftover.isAlive());
                }
            }
        } finally {
            deleteTree(home);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    @Override
    public String toString() {
        return "BANGER_HOME=" + home;
    }
}
