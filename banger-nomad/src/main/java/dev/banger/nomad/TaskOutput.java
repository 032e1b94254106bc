package dev.banger.nomad;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.core.Text;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Copies a task's stdout and stderr from bangerd ({@code vm.task_attach}) into the FIFOs Nomad gave for them
 * ({@code stdout_path}, {@code stderr_path}: Nomad's log collector reads them), on one thread per task, until the
 * task's EXIT. After each write into a FIFO the positions written are reported to bangerd (a DELIVERED record), which
 * keeps them in SQLite; the first attach of a copy resumes there, so a plugin that restarted (RecoverTask) writes again
 * at most the one record it had written and not yet reported, or the last second's reports when bangerd was killed
 * too. A stream that breaks without an exit (bangerd restarted, the channel broke) is attached again from the
 * positions this copy knows. Bytes from the guest are copied as they are, each record at most 64 KiB.
 */
final class TaskOutput implements AutoCloseable {
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofSeconds(10);
    /** A bangerd away this long in a row is given up on: WaitTask still tells the end, only the log misses it. */
    private static final Duration GIVE_UP = Duration.ofMinutes(10);

    private final Bangerd bangerd;
    private final String vm;
    private final Path stdoutPath;
    private final Path stderrPath;
    private volatile boolean closed;
    /** Both FIFOs are open (until then, the thread may be blocked in open(), waiting for Nomad's reader). */
    private volatile boolean opened;
    private volatile Bangerd.Conversation<Params.Conversation> current;
    private final Thread thread;
    private long stdoutPos;
    private long stderrPos;
    /** Until the first attach: start where bangerd says the output was delivered. */
    private boolean resume = true;

    private TaskOutput(Bangerd bangerd, String vm, Path stdoutPath, Path stderrPath) {
        this.bangerd = bangerd;
        this.vm = vm;
        this.stdoutPath = stdoutPath;
        this.stderrPath = stderrPath;
        this.thread = Thread.ofPlatform().daemon().name("task-output-" + vm).unstarted(this::run);
    }

    /** Starts copying the output of the task of VM {@code vm}; an empty path drops that stream. */
    static TaskOutput start(Bangerd bangerd, String vm, String stdoutPath, String stderrPath) {
        TaskOutput t = new TaskOutput(bangerd, vm, path(stdoutPath), path(stderrPath));
        t.thread.start();
        return t;
    }

    private static Path path(String p) {
        return p == null || p.isEmpty() ? null : Path.of(p);
    }

    /** Whether it is still copying (false once the task's exit came, or it gave up, or was closed). */
    boolean running() {
        return thread.isAlive();
    }

    /** Waits at most {@code max} for the copy to end (the task's EXIT written): for tests and the stop path. */
    boolean await(Duration max) throws InterruptedException {
        return thread.join(max);
    }

    @Override
    public void close() {
        closed = true;
        Bangerd.Conversation<Params.Conversation> c = current;
        if (c != null) {
            c.close();
        }
        thread.interrupt();
        if (!opened && thread.isAlive()) {
            unblockOpen(stdoutPath);
            unblockOpen(stderrPath);
        }
    }

    /**
     * A thread blocked opening a FIFO for writing cannot be interrupted; a reader opening it lets that open return (the
     * two meet), after which the thread sees it is closed and ends. The reader is opened on a thread of its own since
     * it would wait for a writer in turn when there is none any more.
     */
    private static void unblockOpen(Path fifo) {
        if (fifo == null) {
            return;
        }
        Thread.ofPlatform().daemon().name("task-output-unblock").start(() -> {
            try (var in = Files.newInputStream(fifo)) {
                // opened: the writer's open has returned
            } catch (IOException ignored) {
                // gone, or not a FIFO: nothing is blocked on it
            }
        });
    }

    private void run() {
        // Opening a FIFO for writing waits for its reader: Nomad's log collector, which is there before StartTask.
        try (OutputStream out = open(stdoutPath); OutputStream err = open(stderrPath)) {
            opened = true;
            if (closed) {
                return;
            }
            copy(out, err);
        } catch (IOException e) {
            if (!closed) {
                PluginLog.warn("task output of VM " + vm + ": " + e.getMessage());
            }
        }
    }

    private static OutputStream open(Path fifo) throws IOException {
        if (fifo == null) {
            return OutputStream.nullOutputStream();
        }
        // WRITE without CREATE: the FIFO is Nomad's; a missing one is an error, never a regular file made here.
        return Files.newOutputStream(fifo, StandardOpenOption.WRITE);
    }

    private void copy(OutputStream out, OutputStream err) throws IOException {
        Duration backoff = FIRST_RETRY;
        long failingSince = 0;
        while (!closed) {
            // The first attach resumes where bangerd says the output was delivered (by this copy or a dead plugin's);
            // once attached, this copy knows the positions itself (bangerd sends them first).
            Params.VmTaskAttach from = resume ? new Params.VmTaskAttach(vm, DriverState.TASK, null, null, true)
                    : new Params.VmTaskAttach(vm, DriverState.TASK, stdoutPos, stderrPos);
            try (Bangerd.Conversation<Params.Conversation> c = bangerd.converse(Rpcs.VM_TASK_ATTACH, from)) {
                current = c;
                resume = false;
                if (closed) {
                    return;
                }
                failingSince = 0;
                backoff = FIRST_RETRY;
                if (follow(c, out, err)) {
                    return;
                }
            } catch (BangerException e) {
                if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.FAILED_PRECONDITION
                        || e.code() == ErrorCode.INVALID_ARGUMENT) {
                    // no such VM or task any more, or the task is lost: there is no more output to wait for
                    PluginLog.info("task output of VM " + vm + " ends: " + e.getMessage());
                    return;
                }
                long now = System.nanoTime();
                failingSince = failingSince == 0 ? now : failingSince;
                if (now - failingSince > GIVE_UP.toNanos()) {
                    PluginLog.warn("task output of VM " + vm + ": giving up after " + GIVE_UP.toMinutes()
                            + " min without bangerd: " + e.getMessage());
                    return;
                }
            } finally {
                current = null;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : backoff.multipliedBy(2);
        }
    }

    /** Copies one attachment's records; true once the task's end came (EXIT or ERROR), false when the stream broke. */
    private boolean follow(Bangerd.Conversation<Params.Conversation> c, OutputStream out, OutputStream err)
            throws IOException {
        while (true) {
            Records.Record r;
            try {
                r = Records.read(c.in());
            } catch (IOException broken) {
                return false; // bangerd went away, or close() closed it
            }
            if (r == null) {
                return false;
            }
            switch (r.type()) {
                case Exec.STDOUT -> {
                    out.write(r.payload());
                    out.flush();
                    stdoutPos += r.payload().length;
                    if (!delivered(c)) {
                        return false;
                    }
                }
                case Exec.STDERR -> {
                    err.write(r.payload());
                    err.flush();
                    stderrPos += r.payload().length;
                    if (!delivered(c)) {
                        return false;
                    }
                }
                case Exec.POSITION -> position(r.payload());
                case Exec.EXIT -> {
                    return true;
                }
                case Exec.ERROR -> {
                    PluginLog.warn("task output of VM " + vm + ": " + Text.printable(r.text(), 300));
                    return true;
                }
                case Exec.NOTICE -> PluginLog.info("task output of VM " + vm + ": " + Text.printable(r.text(), 300));
                default -> {
                    // STARTED, or a record a newer bangerd sends
                }
            }
        }
    }

    /** Tells bangerd how far both streams are written; false when the connection broke. */
    private boolean delivered(Bangerd.Conversation<Params.Conversation> c) {
        try {
            Records.write(c.out(), Exec.DELIVERED, ByteBuffer.allocate(16).putLong(stdoutPos).putLong(stderrPos).array());
            c.out().flush();
            return true;
        } catch (IOException broken) {
            return false;
        }
    }

    /** POSITION: where bangerd resumed the copy, or bytes were dropped before they could be read; the count jumps there. */
    private void position(byte[] payload) {
        if (payload.length != 9) {
            return;
        }
        long pos = ByteBuffer.wrap(payload, 1, 8).getLong();
        if (pos < 0) {
            return;
        }
        if (payload[0] == 1) {
            stdoutPos = pos;
        } else if (payload[0] == 2) {
            stderrPos = pos;
        }
    }
}
