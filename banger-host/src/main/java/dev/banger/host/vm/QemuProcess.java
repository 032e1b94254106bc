package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.QemuCommand;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Starts, finds and stops QEMU processes. A VM's QEMU must outlive the daemon (a daemon restart or crash
 * never takes VMs down), so it is started detached: its own session ({@code setsid}, which execs QEMU in
 * place, so the pid is QEMU's), stdin from /dev/null, stdout and stderr appended to a file, never a pipe
 * whose reader (the daemon) could vanish and SIGPIPE it. No PDEATHSIG, unlike {@code CommandRunner}. The
 * JDK closes every other descriptor in the child, so QEMU holds neither the daemon's lock nor its socket.
 *
 * <p>The daemon finds a VM's QEMU again by the QMP socket path in its command line (which
 * {@link QemuCommand} puts there verbatim); a pid alone is never trusted after a restart, since the kernel
 * reuses pids: {@link #stop} checks the command line before it signals anything.
 */
public final class QemuProcess {
    private static final Path PROC = Path.of("/proc");
    private static final File DEV_NULL = new File("/dev/null");
    /** /proc/PID/cmdline of a QEMU is a few KiB; anything longer is cut (the -qmp option comes early). */
    private static final int MAX_CMDLINE = 256 * 1024;
    private static final Duration POLL = Duration.ofMillis(50);
    /** QEMU listens on QMP ~0.1 s after it starts; every start waits for it, so look often. */
    private static final Duration QMP_POLL = Duration.ofMillis(10);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final Duration EXIT_POLL = Duration.ofMillis(200);
    /**
     * The power button is pressed again at this interval during the grace period: a press is an event,
     * not a state, and one that arrives before the guest listens (early boot, or the moment its fast boot
     * printed "ready" but its acpid has not yet opened the button) is lost for good.
     */
    private static final Duration REPRESS = Duration.ofSeconds(3);

    /** How {@link #stop} ended. */
    public enum Ending {
        /** Not running when asked (or the pid now belongs to another program). */
        ALREADY_GONE,
        /** The guest powered off after the ACPI power button, within the grace period. */
        POWERED_DOWN,
        /** SIGKILL: the guest did not power off in time, or QMP could not be reached. */
        KILLED
    }

    /** @param detail why it ended this way, for the log */
    public record Stopped(Ending ending, Duration took, String detail) {
    }

    /** A QEMU this process started. Its exit status is known only here (to the parent). */
    public static final class Launched {
        private final Process process;
        private final Path log;

        Launched(Process process, Path log) {
            this.process = process;
            this.log = log;
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
         * {@link QemuProcess#isAlive} may already say "gone" a moment before the JDK has reaped the child.
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
         * Waits until QEMU accepts connections on its QMP socket. Fails at once, quoting QEMU's last log
         * lines, if QEMU exits first (a bad option, an image locked by another QEMU, a missing tap).
         */
        public void awaitQmpSocket(Path qmpSocket, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                if (!process.isAlive()) {
                    throw new BangerException(ErrorCode.INTERNAL, "QEMU exited with status " + process.exitValue()
                            + " before it listened on " + qmpSocket + "; its last output (" + log + "):\n  "
                            + String.join("\n  ", tail(log, 10)));
                }
                if (Files.exists(qmpSocket) && QmpProbe.accepts(qmpSocket)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new BangerException(ErrorCode.INTERNAL, "QEMU (pid " + pid() + ") did not listen on " + qmpSocket
                            + " within " + timeout.toSeconds() + " s; its log is " + log);
                }
                sleep(QMP_POLL);
            }
        }
    }

    private QemuProcess() {
    }

    /**
     * Starts {@code argv} (a QEMU command line from {@link QemuCommand#argv}) detached. A header line with
     * the time and the command goes to the log first, so each start is findable in it.
     */
    public static Launched launch(List<String> argv, Path stdoutStderrFile) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argv");
        }
        if (findOnPath(argv.get(0)).isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, argv.get(0) + " is not installed (or not on PATH):"
                    + " install Debian's qemu-system-x86 package");
        }
        List<String> command = new ArrayList<>(argv.size() + 1);
        command.add("setsid");
        command.addAll(argv);
        try {
            Files.createDirectories(stdoutStderrFile.getParent());
            Files.writeString(stdoutStderrFile, "=== banger: starting QEMU at " + Instant.now() + ": "
                            + String.join(" ", argv) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(command)
                    .directory(new File("/")) // never pin the daemon's working directory (or its mount)
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(stdoutStderrFile.toFile()))
                    .redirectErrorStream(true)
                    .start();
            return new Launched(p, stdoutStderrFile);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The QEMU serving QMP on {@code qmpSocket}, found by scanning every process's command line. Empty when
     * none runs. Two would mean the second took over the first's socket path; that is reported rather than
     * guessed at.
     */
    public static Optional<Long> findByQmpSocket(Path qmpSocket) {
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (cmdline(pid).map(argv -> QemuCommand.isQemuWithQmpSocket(argv, qmpSocket)).orElse(false) && isAlive(pid)) {
                    found.add(pid);
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot list processes in /proc: " + e.getMessage(), e);
        }
        if (found.size() > 1) {
            throw new BangerException(ErrorCode.INTERNAL, "QEMU processes " + found + " all name QMP socket " + qmpSocket
                    + ": only one can own it; stop the one you did not expect (kill PID) and retry");
        }
        return found.stream().findFirst();
    }

    /** Whether {@code pid} runs and is the QEMU serving QMP on {@code qmpSocket} (not a reused pid). */
    public static boolean isQemuOf(long pid, Path qmpSocket) {
        return isAlive(pid) && cmdline(pid).map(argv -> QemuCommand.isQemuWithQmpSocket(argv, qmpSocket)).orElse(false);
    }

    /**
     * Every running QEMU whose QMP socket is a file directly inside a subdirectory of {@code vmsDir}
     * (banger's layout: vms/ID/api.sock), by pid, with that socket's path: for finding QEMUs no record
     * owns.
     */
    public static java.util.Map<Long, Path> findUnder(Path vmsDir) {
        java.util.Map<Long, Path> found = new java.util.TreeMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                cmdline(pid).flatMap(QemuProcess::qmpSocketOf).filter(sock -> vmsDir.equals(sock.getParent().getParent()))
                        .filter(sock -> isAlive(pid)).ifPresent(sock -> found.put(pid, sock));
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot list processes in /proc: " + e.getMessage(), e);
        }
        return found;
    }

    /** The unix socket path of a qemu-system argv's -qmp option, if it has one. */
    private static Optional<Path> qmpSocketOf(List<String> argv) {
        if (argv.isEmpty() || !argv.get(0).substring(argv.get(0).lastIndexOf('/') + 1).startsWith("qemu-system-")) {
            return Optional.empty();
        }
        for (int i = 1; i + 1 < argv.size(); i++) {
            if ((argv.get(i).equals("-qmp") || argv.get(i).equals("--qmp")) && argv.get(i + 1).startsWith("unix:")) {
                String v = argv.get(i + 1).substring("unix:".length());
                int comma = v.indexOf(',');
                Path sock = Path.of(comma < 0 ? v : v.substring(0, comma));
                return sock.isAbsolute() && sock.getParent() != null && sock.getParent().getParent() != null
                        ? Optional.of(sock) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * Stops a VM's QEMU: the ACPI power button over QMP (again every few seconds, see {@link #REPRESS}),
     * up to {@code grace} for the guest to power off, then SIGKILL. When QMP cannot be reached at all the
     * kill comes at once: nothing else could ask the guest. Never signals a pid whose command line does not
     * name {@code qmpSocket}.
     */
    public static Stopped stop(long pid, Path qmpSocket, Duration grace) {
        long start = System.nanoTime();
        if (!isAlive(pid)) {
            return new Stopped(Ending.ALREADY_GONE, since(start), "pid " + pid + " is not running");
        }
        if (!cmdline(pid).map(argv -> QemuCommand.isQemuWithQmpSocket(argv, qmpSocket)).orElse(false)) {
            return new Stopped(Ending.ALREADY_GONE, since(start), "pid " + pid + " is not the QEMU of " + qmpSocket
                    + " (it exited and the pid was reused): left alone");
        }
        String why = null;
        int presses = 0;
        long deadline = start + grace.toNanos();
        long nextPress = start;
        while (why == null) {
            if (!isAlive(pid)) {
                return new Stopped(Ending.POWERED_DOWN, since(start), "the guest powered off ("
                        + presses + (presses == 1 ? " press" : " presses") + " of the power button)");
            }
            long now = System.nanoTime();
            if (now >= deadline) {
                why = "the guest did not power off within " + grace.toSeconds() + " s of the power button";
            } else if (now >= nextPress) {
                try {
                    pressPowerButton(qmpSocket, Duration.ofNanos(Math.min(deadline - now, QmpClient.DEFAULT_TIMEOUT.toNanos())));
                    presses++;
                } catch (BangerException e) {
                    if (presses == 0 && isAlive(pid)) {
                        why = "QMP failed (" + e.getMessage() + ")";
                    }
                    // After a first press, a failing QMP usually means QEMU is on its way out: keep watching.
                }
                nextPress = System.nanoTime() + REPRESS.toNanos();
            } else {
                sleep(POLL);
            }
        }
        if (!kill(pid)) {
            throw new BangerException(ErrorCode.INTERNAL, "QEMU pid " + pid + " survived SIGKILL for " + KILL_WAIT.toSeconds()
                    + " s (stuck in the kernel?): look at /proc/" + pid + "/stack, then retry");
        }
        return new Stopped(Ending.KILLED, since(start), why + ": killed");
    }

    /**
     * One short QMP connection per press: QEMU serves one client at a time, and others (a status query)
     * must not be locked out for the whole grace period.
     */
    private static void pressPowerButton(Path qmpSocket, Duration timeout) {
        try (QmpClient qmp = QmpClient.connect(qmpSocket, timeout)) {
            qmp.powerdown();
        }
    }

    /**
     * SIGKILL, then waits up to 10 s for the process to be gone. True when it is gone (or was already).
     * The caller vouches that {@code pid} is the QEMU it means: just found by {@link #findByQmpSocket}, or
     * its own {@link Launched}.
     */
    public static boolean kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
        return true;
    }

    /**
     * Whether {@code pid} runs. A zombie (exited, not yet reaped by a parent that is not us) counts as
     * gone: ProcessHandle alone would call it alive.
     */
    public static boolean isAlive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            return QemuCommand.processState(Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"))) != 'Z';
        } catch (IOException | IllegalArgumentException e) {
            return false; // gone between the two looks
        }
    }

    /**
     * Completes when {@code pid} has exited, our child or not. Polls {@link #isAlive} (every 200 ms, on a
     * virtual thread) rather than using {@link ProcessHandle#onExit}: for a process that is not our child
     * (a QEMU started by an earlier daemon) the JDK can only probe with kill(pid, 0), which calls a zombie
     * alive for as long as nobody reaps it.
     */
    public static java.util.concurrent.CompletableFuture<Void> onExit(long pid) {
        java.util.concurrent.CompletableFuture<Void> exited = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("qemu-exit-" + pid).start(() -> {
            try {
                while (isAlive(pid) && !exited.isDone()) {
                    Thread.sleep(EXIT_POLL);
                }
                exited.complete(null);
            } catch (InterruptedException e) {
                exited.completeExceptionally(e);
            }
        });
        return exited;
    }

    /** Resident memory of {@code pid} in KiB (VmRSS), empty when it is gone. */
    public static OptionalLong rssKib(long pid) {
        try {
            long kib = QemuCommand.vmRssKib(Files.readString(PROC.resolve(Long.toString(pid)).resolve("status")));
            return kib < 0 ? OptionalLong.empty() : OptionalLong.of(kib);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** The argv of {@code pid}, empty when it is gone, unreadable, or a kernel thread. */
    static Optional<List<String>> cmdline(long pid) {
        try (InputStream in = Files.newInputStream(PROC.resolve(Long.toString(pid)).resolve("cmdline"))) {
            byte[] bytes = in.readNBytes(MAX_CMDLINE);
            return bytes.length == 0 ? Optional.empty() : Optional.of(QemuCommand.parseCmdline(bytes));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The last {@code lines} lines of a log file (reading at most its last 16 KiB). */
    static List<String> tail(Path file, int lines) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            int n = (int) Math.min(len, 16 * 1024);
            byte[] b = new byte[n];
            f.seek(len - n);
            f.readFully(b);
            List<String> all = new String(b, StandardCharsets.UTF_8).lines().toList();
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(" + file + " unreadable: " + e.getMessage() + ")");
        }
    }

    static Optional<Path> findOnPath(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
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

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.length() <= 10 && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.INTERNAL, "interrupted while waiting for QEMU");
        }
    }

    /** Whether something accepts connections on a Unix socket (connect and close, nothing sent). */
    static final class QmpProbe {
        private QmpProbe() {
        }

        static boolean accepts(Path socket) {
            try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                ch.connect(java.net.UnixDomainSocketAddress.of(socket));
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }
}
