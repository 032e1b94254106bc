package dev.banger.host.proc;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.ProcParsers;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * The host's processes as banger looks at them: one scan of /proc with each process's argv, a liveness
 * check that calls a zombie dead, SIGKILL with a wait, and the waiting for an exit of a process that is not
 * our child. Every VMM driver finds its processes through here, by what their command line names.
 */
public final class ProcessTable {
    private static final Path PROC = Path.of("/proc");
    /** /proc/PID/cmdline of a VMM is a few KiB; anything longer is cut (the options banger looks for come early). */
    private static final int MAX_CMDLINE = 256 * 1024;
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration EXIT_POLL = Duration.ofMillis(200);
    /** How long a SIGKILLed process may take to be gone (a process in uninterruptible sleep takes longer). */
    public static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private ProcessTable() {
    }

    /** Calls {@code each} with the pid and argv of every live process (kernel threads and zombies skipped): one scan. */
    public static void scan(BiConsumer<Long, List<String>> each) {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> isPid(p.getFileName().toString()))) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                Optional<List<String>> argv = cmdline(pid);
                if (argv.isPresent() && isAlive(pid)) {
                    each.accept(pid, argv.get());
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list processes in /proc: " + e.getMessage(), e);
        }
    }

    /** The argv of {@code pid}, empty when it is gone, unreadable, or a kernel thread. */
    public static Optional<List<String>> cmdline(long pid) {
        try (InputStream in = Files.newInputStream(PROC.resolve(Long.toString(pid)).resolve("cmdline"))) {
            byte[] bytes = in.readNBytes(MAX_CMDLINE);
            return bytes.length == 0 ? Optional.empty() : Optional.of(ProcParsers.cmdline(bytes));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
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
            return ProcParsers.processState(Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"))) != 'Z';
        } catch (IOException | IllegalArgumentException e) {
            return false; // gone between the two looks
        }
    }

    /**
     * SIGKILL, then waits up to {@link #KILL_WAIT} for the process to be gone. True when it is gone (or
     * was already). The caller vouches that {@code pid} is the process it means (just found by its command
     * line, or one it launched).
     */
    public static boolean kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        return awaitGone(pid, KILL_WAIT);
    }

    /** Waits up to {@code max} for {@code pid} to be gone; true when it is. */
    public static boolean awaitGone(long pid, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
        return true;
    }

    /**
     * Whether {@code pid} is on its way out: still in the table, not yet a zombie, its memory (and so its
     * command line) already released. Such a process is no longer anyone's VMM, but it is not gone.
     */
    public static boolean exiting(long pid) {
        return isAlive(pid) && cmdline(pid).isEmpty();
    }

    /**
     * Completes when {@code pid} has exited, our child or not. Polls {@link #isAlive} (every 200 ms, on a
     * virtual thread) rather than using {@link ProcessHandle#onExit}: for a process that is not our child
     * (a VMM started by an earlier daemon) the JDK can only probe with kill(pid, 0), which calls a zombie
     * alive for as long as nobody reaps it.
     */
    public static CompletableFuture<Void> onExit(long pid) {
        CompletableFuture<Void> exited = new CompletableFuture<>();
        Thread.ofVirtual().name("exit-" + pid).start(() -> {
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

    /** CPU time {@code pid} has used, user and system, in clock ticks ({@link ProcParsers#cpuTicks}); empty when it is gone. */
    public static OptionalLong cpuTicks(long pid) {
        try {
            return OptionalLong.of(ProcParsers.cpuTicks(Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"))));
        } catch (IOException | IllegalArgumentException e) {
            return OptionalLong.empty();
        }
    }

    /** Resident memory of {@code pid} in KiB (VmRSS), empty when it is gone. */
    public static OptionalLong rssKib(long pid) {
        try {
            long kib = ProcParsers.vmRssKib(Files.readString(PROC.resolve(Long.toString(pid)).resolve("status")));
            return kib < 0 ? OptionalLong.empty() : OptionalLong.of(kib);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** The last {@code lines} lines of a log file (reading at most its last 16 KiB), for error messages. */
    public static List<String> tail(Path file, int lines) {
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

    /** Whether something accepts connections on a Unix socket (connect and close, nothing sent). */
    public static boolean accepts(Path unixSocket) {
        try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(unixSocket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isPid(String name) {
        return !name.isEmpty() && name.length() <= 10 && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** Sleeps; an interrupt ends the wait with an error (the caller was cancelled). */
    public static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while waiting for a process");
        }
    }
}
