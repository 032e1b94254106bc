package dev.banger.host.proc;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Starts a process that must outlive the daemon (a VM's VMM: a daemon restart or crash never takes VMs
 * down): in its own session ({@code setsid}, which execs the program in place, so the pid is the
 * program's), stdin from /dev/null, stdout and stderr appended to files, never a pipe whose reader (the
 * daemon) could vanish and SIGPIPE it, and no PDEATHSIG (unlike {@code CommandRunner}'s short commands).
 * The JDK closes every other descriptor in the child, so it holds neither the daemon's lock nor its socket.
 */
public final class DetachedProcess {
    private static final File DEV_NULL = new File("/dev/null");
    private static final Duration SOCKET_POLL = Duration.ofMillis(10);

    /**
     * What to start.
     *
     * @param argv    the program and its arguments (never a shell line)
     * @param workDir its working directory (never the daemon's: that would pin it)
     * @param stdout  where its stdout is appended
     * @param stderr  where its stderr is appended; the same file as stdout merges them
     * @param name    what it is, for messages ("QEMU", "firecracker")
     * @param install how to get the program when it is missing
     */
    public record Spec(List<String> argv, Path workDir, Path stdout, Path stderr, String name, String install) {
        public Spec {
            argv = List.copyOf(argv);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("empty argv");
            }
        }
    }

    /** A process this daemon started: its pid, and its exit status while the daemon is its parent. */
    public static final class Launched {
        private final Process process;
        private final Spec spec;

        Launched(Process process, Spec spec) {
            this.process = process;
            this.spec = spec;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public OptionalInt exitStatus() {
            return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
        }

        /**
         * Waits up to {@code timeout} for the exit and returns its status (128 + signal when killed).
         * {@link ProcessTable#isAlive} may already say "gone" a moment before the JDK has reaped the child.
         */
        public OptionalInt awaitExit(Duration timeout) {
            try {
                return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return exitStatus();
            }
        }

        /**
         * Waits until the process accepts connections on {@code socket} (its control socket). Fails at
         * once, quoting its last output, if it exits first (a bad option, a missing device, a taken path).
         */
        public void awaitSocket(Path socket, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            Path output = spec.stderr();
            while (true) {
                if (!process.isAlive()) {
                    throw new BangerException(ErrorCode.BOOT_FAILED, spec.name() + " exited with status " + process.exitValue()
                            + " before it listened on " + socket + "; its last output (" + output + "):\n  "
                            + String.join("\n  ", ProcessTable.tail(output, 10)));
                }
                if (Files.exists(socket) && ProcessTable.accepts(socket)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new BangerException(ErrorCode.TIMED_OUT, spec.name() + " (pid " + pid() + ") did not listen on " + socket
                            + " within " + timeout.toSeconds() + " s; its output is in " + output);
                }
                ProcessTable.sleep(SOCKET_POLL);
            }
        }
    }

    private DetachedProcess() {
    }

    /**
     * Starts {@code spec} detached. A header line with the time and the command goes to its stderr file
     * first, so each start is findable there.
     */
    public static Launched launch(Spec spec) {
        String program = spec.argv().getFirst();
        if (findOnPath(program).isEmpty()) {
            throw new BangerException(ErrorCode.MISSING_DEPENDENCY, program + " is not installed (or not on PATH): " + spec.install());
        }
        List<String> command = new ArrayList<>(spec.argv().size() + 1);
        command.add("setsid");
        command.addAll(spec.argv());
        try {
            Files.createDirectories(spec.stderr().toAbsolutePath().getParent());
            Files.writeString(spec.stderr(), "=== banger: starting " + spec.name() + " at " + Instant.now() + ": "
                    + String.join(" ", spec.argv()) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder pb = dev.banger.host.SystemPath.apply(new ProcessBuilder(command))
                    .directory(spec.workDir().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.stdout().toFile()));
            if (spec.stderr().equals(spec.stdout())) {
                pb.redirectErrorStream(true);
            } else {
                pb.redirectError(ProcessBuilder.Redirect.appendTo(spec.stderr().toFile()));
            }
            return new Launched(pb.start(), spec);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot start " + program + ": " + e.getMessage(), e);
        }
    }

    /** {@code program} as an executable path: a path as it is (when executable), a bare name looked up on PATH. */
    public static Optional<Path> findOnPath(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = dev.banger.host.SystemPath.current();
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, program);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
