package dev.banger.daemon.task;

import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.core.task.TaskOutput;
import dev.banger.core.task.TaskRules;
import dev.banger.daemon.agent.GuestProcesses;
import dev.banger.daemon.rpc.Conversation;
import dev.banger.store.TaskStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code vm.task_attach}'s conversation: the task's records from bangerd to the client ({@code task-records/1}: the exec
 * records, and {@link Exec#POSITION}). Unlike {@code vm.exec_attach}'s byte relay, bangerd reads each record: output
 * before the client's offsets is dropped ({@link TaskOutput}), the agent's notices of dropped output become POSITION
 * records, and an EXIT that passes is recorded in SQLite before the client gets it. One record in memory at a time
 * (at most a frame's 64 KiB). The client may send SIGNAL records (to the task's process group) and DELIVERED records
 * (how far it has handed the output on: kept in SQLite, at most once a second and at the end, for a later attach that
 * resumes; a client that lies only misplaces its own resumption); nothing else is read.
 */
final class TaskAttach implements Conversation {
    /** How often DELIVERED reports reach SQLite at most: a client restart writes again at most this much output. */
    private static final long SAVE_EVERY_NANOS = 1_000_000_000L;
    private final GuestProcesses.Attached attached;
    private final TaskStore.Task recorded;
    private final TaskOutput stdout;
    private final TaskOutput stderr;
    private final String vm;
    private final Consumer<Exec.Exit> onExit;
    private final Supplier<TaskStore.Task> reread;
    private final boolean resumed;
    private final Consumer<TaskStore.Delivered> saveDelivered;
    /** The latest DELIVERED report and whether it is saved; touched by the client-input thread only. */
    private TaskStore.Delivered delivered;
    private boolean deliveredSaved = true;
    private long deliveredSavedAt;

    /** Where the client's output starts; {@code resumed}: decided by bangerd (the client is told with POSITION records). */
    record From(long stdout, long stderr, boolean resumed) {
    }

    /**
     * {@code attached}: the agent's replay of the task, or null when only {@code recorded}'s exit is left to tell;
     * {@code onExit} records an EXIT that passes; {@code reread} the task's row now.
     */
    TaskAttach(GuestProcesses.Attached attached, TaskStore.Task recorded, From from, String vm, Consumer<Exec.Exit> onExit,
               Supplier<TaskStore.Task> reread, Consumer<TaskStore.Delivered> saveDelivered) {
        this.attached = attached;
        this.recorded = recorded;
        this.stdout = new TaskOutput(from.stdout());
        this.stderr = new TaskOutput(from.stderr());
        this.resumed = from.resumed();
        this.vm = vm;
        this.onExit = onExit;
        this.reread = reread;
        this.saveDelivered = saveDelivered;
        this.delivered = new TaskStore.Delivered(from.stdout(), from.stderr());
        this.deliveredSavedAt = System.nanoTime() - SAVE_EVERY_NANOS; // the first report is saved at once
    }

    @Override
    public void run(InputStream fromClient, OutputStream toClient) throws IOException {
        if (attached == null) {
            Records.writeText(toClient, Exec.NOTICE, "the output of task '" + recorded.name() + "' is no longer kept by VM '" + vm
                    + "' (its guest agent forgot the process, or the VM stopped): only its exit is left");
            exit(toClient, recorded);
            return;
        }
        if (resumed) {
            // The client starts counting where bangerd chose: it is told first, as after dropped output.
            position(toClient, 1, delivered.stdout());
            position(toClient, 2, delivered.stderr());
        }
        Thread input = Thread.ofVirtual().name("task-attach-input").start(() -> fromClient(fromClient));
        try {
            relay(toClient);
        } finally {
            input.interrupt();
            attached.close();
        }
    }

    private void relay(OutputStream toClient) throws IOException {
        GuestProcesses.Event e;
        while ((e = attached.next()) != null) {
            switch (e.type()) {
                case Exec.STARTED -> {
                    Records.write(toClient, Exec.STARTED, Records.u32(e.pid()));
                    toClient.flush();
                }
                case Exec.STDOUT -> output(toClient, stdout, 1, Exec.STDOUT, e.data());
                case Exec.STDERR -> output(toClient, stderr, 2, Exec.STDERR, e.data());
                case Exec.NOTICE -> {
                    TaskOutput.Dropped d = TaskOutput.dropped(e.data());
                    if (d != null) {
                        (d.stdout() ? stdout : stderr).dropped(d.bytes());
                    } else {
                        Records.write(toClient, Exec.NOTICE, e.data());
                        toClient.flush();
                    }
                }
                case Exec.EXIT -> {
                    Exec.Exit exit = e.exit();
                    long status = Integer.toUnsignedLong(exit.status());
                    onExit.accept(exit);
                    if (TaskRules.validExit(status)) {
                        exit(toClient, exit);
                    } else {
                        Records.writeText(toClient, Exec.ERROR, "the guest agent of VM '" + vm + "' reported exit status " + status
                                + ", which is not one: the task is recorded lost");
                        toClient.flush();
                    }
                    return;
                }
                case Exec.ERROR -> {
                    Records.write(toClient, Exec.ERROR, e.data());
                    toClient.flush();
                    return;
                }
                default -> {
                    // nothing else is the client's
                }
            }
        }
        // The agent's stream ended without an exit: the watcher may have recorded it meanwhile.
        TaskStore.Task now = reread.get();
        if (now.state() == TaskRules.State.EXITED) {
            exit(toClient, now);
        } else {
            Records.writeText(toClient, Exec.NOTICE, "the output of task '" + recorded.name() + "' ended before its exit (the VM stopped, or "
                    + "its guest agent went away): vm.task_wait tells its end");
            toClient.flush();
        }
    }

    private static void output(OutputStream toClient, TaskOutput cursor, int stream, int type, byte[] data) throws IOException {
        TaskOutput.Slice s = cursor.chunk(data.length);
        if (s.length() == 0) {
            return;
        }
        if (s.jumpTo() >= 0) {
            position(toClient, stream, s.jumpTo());
        }
        Records.write(toClient, type, data, s.skip(), s.length());
        toClient.flush();
    }

    private static void position(OutputStream toClient, int stream, long at) throws IOException {
        Records.write(toClient, Exec.POSITION, ByteBuffer.allocate(9).put((byte) stream).putLong(at).array());
        toClient.flush();
    }

    /** The exit a row recorded. */
    private static void exit(OutputStream toClient, TaskStore.Task recorded) throws IOException {
        exit(toClient, Exec.Exit.reported(recorded.exitCode(), recorded.signal() == null ? 0 : recorded.signal()));
    }

    /** EXIT: the status, then the signal when one ended the task (task-records/1 clients read 4 or 8 bytes, docs/API.md). */
    private static void exit(OutputStream toClient, Exec.Exit exit) throws IOException {
        Records.write(toClient, Exec.EXIT, exit.payload(true));
        toClient.flush();
    }

    /** The client's SIGNAL and DELIVERED records until the client closes its side. */
    private void fromClient(InputStream fromClient) {
        try {
            Records.Record r;
            while ((r = Records.read(fromClient)) != null) {
                if (r.type() == Exec.SIGNAL && r.payload().length == 4) {
                    int signal = Records.u32(r.payload());
                    if (signal >= 1 && signal <= 64) {
                        attached.signal(signal);
                    }
                } else if (r.type() == Exec.DELIVERED && r.payload().length == 16) {
                    ByteBuffer b = ByteBuffer.wrap(r.payload());
                    long out = b.getLong();
                    long err = b.getLong();
                    if (out >= 0 && err >= 0) {
                        delivered(new TaskStore.Delivered(out, err));
                    }
                }
            }
        } catch (IOException e) {
            // the client left, or the attachment ended
        } finally {
            saveDelivered();
        }
        // The client closed its side: it leaves, and the task runs on.
        attached.close();
    }

    /** Keeps the latest report; writes it to SQLite at most once a second (the rest at the end). */
    private void delivered(TaskStore.Delivered d) {
        delivered = d;
        deliveredSaved = false;
        if (System.nanoTime() - deliveredSavedAt >= SAVE_EVERY_NANOS) {
            saveDelivered();
        }
    }

    private void saveDelivered() {
        if (!deliveredSaved) {
            deliveredSaved = true;
            deliveredSavedAt = System.nanoTime();
            try {
                saveDelivered.accept(delivered);
            } catch (RuntimeException e) {
                // the row is gone (the VM deleted) or the store refused: a later resume starts earlier, nothing is lost
            }
        }
    }

    @Override
    public void abandon() {
        if (attached != null) {
            attached.close();
        }
    }
}
