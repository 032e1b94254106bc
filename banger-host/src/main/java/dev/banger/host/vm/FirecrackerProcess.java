package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.FirecrackerCommand;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Starts and finds Firecracker processes, detached like QEMU (see {@link QemuProcess}: own session, stdin
 * from /dev/null, output to files, so a VM outlives the daemon). Firecracker's stdout is the guest's
 * serial console, so it goes to the VM's console log; its stderr to a file of its own. A running one is
 * found again by the {@code --api-sock} path in its command line ({@link FirecrackerCommand}).
 */
public final class FirecrackerProcess {
    private static final Path PROC = Path.of("/proc");
    private static final File DEV_NULL = new File("/dev/null");
    private static final Duration SOCKET_POLL = Duration.ofMillis(10);

    private FirecrackerProcess() {
    }

    /** A Firecracker this process started: the pid, and its exit status while the daemon is its parent. */
    public record Launched(Process process, Path stderrFile) {
        public long pid() {
            return process.pid();
        }

        /**
         * Waits until Firecracker accepts connections on its API socket. Fails at once, quoting its stderr,
         * when it exits first (a bad binary, no /dev/kvm, the socket path taken).
         */
        public void awaitApiSocket(Path socket, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                if (!process.isAlive()) {
                    throw new BangerException(ErrorCode.INTERNAL, "firecracker exited with status " + process.exitValue()
                            + " before it listened on " + socket + "; its last output (" + stderrFile + "):\n  "
                            + String.join("\n  ", QemuProcess.tail(stderrFile, 10)));
                }
                if (Files.exists(socket) && QemuProcess.QmpProbe.accepts(socket)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new BangerException(ErrorCode.INTERNAL, "firecracker (pid " + pid() + ") did not listen on " + socket
                            + " within " + timeout.toSeconds() + " s; its output is in " + stderrFile);
                }
                QemuProcess.sleep(SOCKET_POLL);
            }
        }
    }

    /**
     * Starts {@code argv} ({@link FirecrackerCommand#argv}, or a jailer command line) in its own session,
     * in {@code workDir}. A header line goes to the stderr file first, so each start is findable in it.
     */
    public static Launched launch(List<String> argv, Path workDir, Path consoleLog, Path stderrFile) {
        if (QemuProcess.findOnPath(argv.getFirst()).isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, argv.getFirst() + " is not installed (or not executable):"
                    + " install Firecracker (github.com/firecracker-microvm/firecracker releases) and set [vmm] firecracker"
                    + " in config.toml to its path, or use --vmm qemu");
        }
        List<String> command = new ArrayList<>(argv.size() + 1);
        command.add("setsid");
        command.addAll(argv);
        try {
            Files.writeString(stderrFile, "=== banger: starting firecracker at " + Instant.now() + ": " + String.join(" ", argv)
                    + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(stderrFile.toFile()))
                    .start();
            return new Launched(p, stderrFile);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
        }
    }

    /**
     * VM {@code vmId}'s Firecracker, serving its API on {@code socket} (or jailed under that id, see
     * {@link FirecrackerCommand#isFirecrackerOf}); two would be a mistake reported, not guessed at.
     */
    public static Optional<Long> findByApiSocket(Path socket, String vmId) {
        List<Long> found = new ArrayList<>();
        scanArgv((pid, argv) -> {
            if (FirecrackerCommand.isFirecrackerOf(argv, socket, vmId)) {
                found.add(pid);
            }
        });
        if (found.size() > 1) {
            throw new BangerException(ErrorCode.INTERNAL, "processes " + found + " all serve Firecracker's API on " + socket
                    + ": only one can own it; stop the one you did not expect (kill PID) and retry");
        }
        return found.stream().findFirst();
    }

    /** Whether {@code pid} runs and is VM {@code vmId}'s Firecracker (not a reused pid). */
    public static boolean isFirecrackerOf(long pid, Path socket, String vmId) {
        return QemuProcess.isAlive(pid) && QemuProcess.cmdline(pid)
                .map(argv -> FirecrackerCommand.isFirecrackerOf(argv, socket, vmId)).orElse(false);
    }

    /** {@code program} as an executable path: an absolute path as is, a bare name looked up on PATH. */
    public static Path resolveProgram(String program, String what) {
        return QemuProcess.findOnPath(program).orElseThrow(() -> new BangerException(ErrorCode.FAILED_PRECONDITION,
                program + " (" + what + ") is not installed (or not executable): install Firecracker's release binaries"
                        + " (github.com/firecracker-microvm/firecracker) and set its path in config.toml, or use --vmm qemu"));
    }

    /** Every running Firecracker whose API socket lies directly in a subdirectory of {@code vmsDir} (vms/ID/api.sock). */
    public static Map<Long, Path> findUnder(Path vmsDir) {
        Map<Long, Path> found = new TreeMap<>();
        scan((pid, sock) -> {
            if (sock.getParent() != null && vmsDir.equals(sock.getParent().getParent())) {
                found.put(pid, sock);
            }
        });
        return found;
    }

    private static void scan(java.util.function.BiConsumer<Long, Path> each) {
        scanArgv((pid, argv) -> FirecrackerCommand.apiSocketOf(argv).ifPresent(sock -> each.accept(pid, sock)));
    }

    private static void scanArgv(java.util.function.BiConsumer<Long, List<String>> each) {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("[0-9]{1,10}"))) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                Optional<List<String>> argv = QemuProcess.cmdline(pid);
                if (argv.isPresent() && QemuProcess.isAlive(pid)) {
                    each.accept(pid, argv.get());
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot list processes in /proc: " + e.getMessage(), e);
        }
    }
}
