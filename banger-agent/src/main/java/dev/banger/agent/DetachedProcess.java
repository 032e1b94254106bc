package dev.banger.agent;

import dev.banger.channel.Exec;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A command started in the background for the host ({@code vm exec --detach}, and the long-lived processes of
 * the E2B translation), which runs on whether or not anyone is attached: its output goes into two rings
 * (stdout, stderr; all of it into stdout on a terminal) as it comes, so it never blocks on a reader; its stdin
 * is a pipe the agent holds when it was started with one (for a later attach with -i, or input ops), the
 * terminal when it has one, else /dev/null; its exit status is kept until an attach collects it.
 *
 * <p>A plain entry takes one attachment at a time; a {@code shared} one (what envd's processes are) any number,
 * each reading the rings from its own position. The rings are released once the entry is forgotten and no
 * attachment reads them any more.
 */
final class DetachedProcess {
    /** What the host said about the process besides its command: for listing, and for selecting it. */
    record Meta(String tag, Map<String, String> env, String cwd, String user, boolean shared) {
    }

    /** How long one write to the process's input may wait for the process to read. */
    static final long INPUT_WAIT_MILLIS = 10_000;
    /** What a terminal's reader takes for the end of input (VEOF, Ctrl-D). */
    private static final byte[] END_OF_INPUT = {4};

    final String id;
    final List<String> argv;
    final Spawned process;
    final OutputRing stdout;
    final OutputRing stderr;
    final boolean hasStdin;
    final Meta meta;
    private final Pty pty;
    private final long startedNanos = System.nanoTime();
    private final CompletableFuture<Exec.Exit> ended = new CompletableFuture<>();
    private final ReentrantLock input = new ReentrantLock();
    private volatile long endedNanos;
    private int attachments;
    private boolean forgotten;
    private boolean released;
    private boolean inputClosed;

    /** {@code pty}: the process's terminal (its output then goes to {@code stdout}), or null for pipes. */
    DetachedProcess(String id, List<String> argv, Spawned process, Pty pty, OutputRing stdout, OutputRing stderr, boolean hasStdin, Meta meta) {
        this.id = id;
        this.argv = List.copyOf(argv);
        this.process = process;
        this.pty = pty;
        this.stdout = stdout;
        this.stderr = stderr;
        this.hasStdin = hasStdin || pty != null;
        this.meta = meta;
        List<Thread> readers = pty != null ? List.of(terminalReader(pty, stdout))
                : List.of(ExecSession.pump(process.stdout(), (b, n) -> keep(stdout, b, n)),
                        ExecSession.pump(process.stderr(), (b, n) -> keep(stderr, b, n)));
        Thread.ofVirtual().start(() -> {
            try {
                Exec.Exit exit = process.exit().join();
                for (Thread t : readers) {
                    t.join(ExecSession.DRAIN_MILLIS);
                }
                if (pty != null) {
                    pty.close(); // hangs up what the command left on its terminal, and ends the reader
                }
                endedNanos = System.nanoTime();
                stdout.end();
                stderr.end();
                ended.complete(exit);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** A platform thread (native reads) that keeps a terminal's output in {@code ring}. */
    private static Thread terminalReader(Pty pty, OutputRing ring) {
        return Thread.ofPlatform().daemon().name("pty-" + pty.slave()).start(() -> {
            byte[] buf = new byte[32 * 1024];
            try {
                int n;
                while ((n = pty.read(buf)) >= 0) {
                    keep(ring, buf, n);
                }
            } catch (IOException e) {
                // the terminal failed: its output ends here
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

    boolean terminal() {
        return pty != null;
    }

    /** Completes with how the process ended once it exited and its output was drained. */
    CompletableFuture<Exec.Exit> ended() {
        return ended;
    }

    boolean running() {
        return !ended.isDone();
    }

    /** Takes an attachment (a plain entry has room for one); false when there is no room, or the entry is gone. */
    synchronized boolean attach() {
        if (released || (!meta.shared() && attachments > 0)) {
            return false;
        }
        attachments++;
        return true;
    }

    synchronized void detach() {
        attachments--;
        if (forgotten && attachments == 0) {
            release();
        }
    }

    /** The entry left the table: its rings go once no attachment reads them. */
    synchronized void forget() {
        forgotten = true;
        if (attachments == 0) {
            release();
        }
    }

    /**
     * Writes {@code bytes} to the process's stdin (its terminal: typed), on a platform thread (a native write
     * that waits on a full pipe would pin a virtual thread's carrier), waiting at most {@link #INPUT_WAIT_MILLIS}.
     */
    void input(byte[] bytes) throws IOException, InterruptedException {
        if (!hasStdin) {
            throw new IOException("process " + id + " was started without stdin: its stdin is /dev/null");
        }
        input.lock();
        try {
            if (inputClosed) {
                throw new IOException("the stdin of process " + id + " is closed");
            }
            IOException[] failed = new IOException[1];
            Thread writer = Thread.ofPlatform().daemon().name("stdin-" + id).start(() -> {
                try {
                    if (pty != null) {
                        pty.write(bytes, 0, bytes.length);
                    } else {
                        OutputStream in = process.stdin();
                        in.write(bytes);
                        in.flush();
                    }
                } catch (IOException e) {
                    failed[0] = e;
                }
            });
            if (!writer.join(java.time.Duration.ofMillis(INPUT_WAIT_MILLIS))) {
                throw new IOException("process " + id + " has not read its input for " + INPUT_WAIT_MILLIS / 1000 + " s");
            }
            if (failed[0] != null) {
                throw new IOException("cannot write to the stdin of process " + id + ": " + failed[0].getMessage());
            }
        } finally {
            input.unlock();
        }
    }

    /** Ends the process's input: its stdin pipe closed, or Ctrl-D typed on its terminal. */
    void closeInput() throws IOException, InterruptedException {
        if (pty != null) {
            input(END_OF_INPUT);
            return;
        }
        input.lock();
        try {
            inputClosed = true;
            process.stdin().close();
        } finally {
            input.unlock();
        }
    }

    /** Sets the terminal's size; false when the process has no terminal. */
    boolean resize(int rows, int cols) throws IOException {
        if (pty == null) {
            return false;
        }
        pty.resize(rows, cols);
        return true;
    }

    /** The row {@code procs} lists. */
    synchronized Map<String, Object> describe() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("pid", pid());
        r.put("argv", argv);
        boolean running = running();
        r.put("state", running ? "running" : "exited");
        Exec.Exit exit = running ? null : ended.join();
        r.put("exit_status", exit == null ? null : exit.status());
        // The signal that ended it (its status is then 128+N): a newer field, which an older bangerd does not read.
        r.put("exit_signal", exit == null || !exit.signalled() ? null : exit.signal());
        long now = System.nanoTime();
        r.put("age_ms", (now - startedNanos) / 1_000_000);
        r.put("ended_ms_ago", running ? null : (now - endedNanos) / 1_000_000);
        r.put("stdin", hasStdin);
        r.put("attached", attachments > 0);
        r.put("stdout_dropped", stdout.dropped());
        r.put("stderr_dropped", stderr.dropped());
        r.put("tag", meta.tag());
        r.put("tty", pty != null);
        r.put("shared", meta.shared());
        r.put("cwd", meta.cwd());
        r.put("env", meta.env());
        r.put("user", meta.user());
        return r;
    }

    /** Releases what the entry holds (its output files, its stdin); the process itself is left alone. */
    private void release() {
        if (released) {
            return;
        }
        released = true;
        stdout.close();
        stderr.close();
        try {
            process.stdin().close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
