package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs host commands: always an argv list (never a shell line with user data in it), with a time limit,
 * output copied to a log, and cancellation that kills the command and everything it started. Each
 * command runs under {@code setpriv --pdeathsig KILL}, so if bangerd dies (even by kill -9) the kernel
 * kills the command too rather than leaving it working on a directory nobody owns. The kernel sends that
 * signal when the <em>thread</em> that started the command ends, so commands must be run from a platform
 * thread that outlives them (a virtual thread's carrier may retire at any time): this is checked.
 */
public final class CommandRunner {
    /** The result of a command that ran to completion (whatever its exit status). */
    public record Result(int exitStatus, List<String> tail) {
        public boolean ok() {
            return exitStatus == 0;
        }
    }

    private static final int TAIL_LINES = 20;

    private final PrintStream log;
    private final BooleanSupplier cancelled;

    /**
     * @param log where every line of output goes (the build log)
     * @param cancelled polled while a command runs; true kills it
     */
    public CommandRunner(PrintStream log, BooleanSupplier cancelled) {
        this.log = log;
        this.cancelled = cancelled;
    }

    /** Writes a line of its own to the log (e.g. a summary a later reader wants). */
    public void note(String line) {
        log.println(line);
        log.flush();
    }

    /** Runs {@code argv}; throws with the output's last lines when it fails, times out or is cancelled. */
    public Result check(List<String> argv, Duration timeout) {
        return check(argv, timeout, null, Map.of(), line -> { });
    }

    public Result check(List<String> argv, Duration timeout, Path workDir, Map<String, String> env, Consumer<String> onLine) {
        Result r = run(argv, timeout, workDir, env, onLine);
        if (!r.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, argv.get(0) + " failed with exit status " + r.exitStatus()
                    + (r.tail().isEmpty() ? "" : "; last output:\n  " + String.join("\n  ", r.tail())));
        }
        return r;
    }

    public Result run(List<String> argv, Duration timeout, Path workDir, Map<String, String> env, Consumer<String> onLine) {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("CommandRunner needs a platform thread: see the class comment");
        }
        List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--"));
        command.addAll(argv);
        log.println("$ " + String.join(" ", argv));
        log.flush();
        ProcessBuilder pb = dev.banger.host.SystemPath.apply(new ProcessBuilder(command)).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.MISSING_DEPENDENCY, "cannot run " + argv.get(0) + ": " + e.getMessage()
                    + " (is it installed? ./setup.sh installs banger's host packages)");
        }
        Deque<String> tail = new ArrayDeque<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.println(line);
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                    onLine.accept(line);
                }
            } catch (IOException ignored) {
                // the process was killed; its output ends here
            }
        });
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                if (cancelled.getAsBoolean()) {
                    kill(p);
                    throw new BangerException(ErrorCode.FAILED_PRECONDITION, argv.get(0) + " was cancelled");
                }
                if (System.nanoTime() > deadline) {
                    kill(p);
                    throw new BangerException(ErrorCode.TIMED_OUT, argv.get(0) + " did not finish within " + timeout.toSeconds() + " s");
                }
            }
            reader.join(5_000);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, argv.get(0) + " was interrupted");
        }
        log.println("# exit status " + p.exitValue());
        log.flush();
        synchronized (tail) {
            return new Result(p.exitValue(), List.copyOf(tail));
        }
    }

    /** Kills the process and all its descendants (children first, so none is re-parented and missed). */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
