package dev.banger.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A command started in the background for the host ({@code vm exec --detach}), which runs on whether or not
 * anyone is attached: its output goes into two rings (stdout, stderr) as it comes, so it never blocks on a
 * reader; its stdin is a pipe the agent holds when it was started with one (for a later attach with -i), else
 * /dev/null; its exit status is kept until an attach collects it.
 */
final class DetachedProcess {
    final String id;
    final List<String> argv;
    final Spawned process;
    final OutputRing stdout;
    final OutputRing stderr;
    final boolean hasStdin;
    private final long startedNanos = System.nanoTime();
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();
    private final AtomicBoolean attached = new AtomicBoolean();
    private volatile long endedNanos;

    DetachedProcess(String id, List<String> argv, Spawned process, OutputRing stdout, OutputRing stderr, boolean hasStdin) {
        this.id = id;
        this.argv = List.copyOf(argv);
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.hasStdin = hasStdin;
        Thread out = ExecSession.pump(process.stdout(), (b, n) -> keep(stdout, b, n));
        Thread err = ExecSession.pump(process.stderr(), (b, n) -> keep(stderr, b, n));
        Thread.ofVirtual().start(() -> {
            try {
                int status = process.exit().join();
                out.join(ExecSession.DRAIN_MILLIS);
                err.join(ExecSession.DRAIN_MILLIS);
                endedNanos = System.nanoTime();
                stdout.end();
                stderr.end();
                ended.complete(status);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static void keep(OutputRing ring, byte[] b, int n) {
        try {
            ring.append(b, 0, n);
        } catch (IOException e) {
            // the guest's disk failed: this output is lost, the process runs on
        }
    }

    long pid() {
        return process.pid();
    }

    /** Completes with the exit status once the process exited and its output was drained. */
    CompletableFuture<Integer> ended() {
        return ended;
    }

    boolean running() {
        return !ended.isDone();
    }

    /** Takes the one attachment a process allows; false when someone holds it. */
    boolean attach() {
        return attached.compareAndSet(false, true);
    }

    void detach() {
        attached.set(false);
    }

    OutputStream stdin() {
        return process.stdin();
    }

    /** The row {@code procs} lists. */
    Map<String, Object> describe() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("pid", pid());
        r.put("argv", argv);
        boolean running = running();
        r.put("state", running ? "running" : "exited");
        r.put("exit_status", running ? null : ended.join());
        long now = System.nanoTime();
        r.put("age_ms", (now - startedNanos) / 1_000_000);
        r.put("ended_ms_ago", running ? null : (now - endedNanos) / 1_000_000);
        r.put("stdin", hasStdin);
        r.put("attached", attached.get());
        r.put("stdout_dropped", stdout.dropped());
        r.put("stderr_dropped", stderr.dropped());
        return r;
    }

    /** Releases what the entry holds (its output files, its stdin); the process itself is left alone. */
    void release() {
        stdout.close();
        stderr.close();
        try {
            process.stdin().close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
