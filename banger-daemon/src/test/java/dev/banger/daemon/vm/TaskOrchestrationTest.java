package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.channel.Exec;
import dev.banger.channel.OpenHandler;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.rpc.Conversation;
import dev.banger.daemon.task.TaskService;
import dev.banger.store.TaskStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task room over the real VmService, SQLite file and channels, with a stand-in guest agent that holds one shared
 * detached process as banger-agent's Detached does (tagged, attachable any number of times, its exit forgotten once an
 * attachment delivered it): a task's exit is recorded from its watcher's attachment, from the agent's table after a
 * daemon restart, and stays in SQLite after the agent forgot it; a stopped VM's task is lost; a hostile status is refused.
 */
@Timeout(60)
class TaskOrchestrationTest {
    @TempDir
    Path tmp;
    private FakeDaemon d;
    private AgentSessions sessions;
    private TaskService tasks;
    private final FakeAgent agent = new FakeAgent();

    @BeforeEach
    void daemon() throws IOException {
        d = new FakeDaemon(tmp.resolve("home"));
        wireTasks();
        d.startWithAgent("g", tmp.resolve("g.sock"), agent);
    }

    private void wireTasks() {
        sessions = new AgentSessions(d.vmms, d.liveness);
        tasks = new TaskService(d.db.tasks(), d.vms, sessions, Clock.systemUTC());
        d.transitions.afterMove(tasks::vmMoved);
        d.vms.afterDelete(tasks::vmDeleted);
    }

    /** kill -9 of bangerd and a new one over the same database: reconcile, then the tasks' restore. */
    private void restartDaemon() {
        tasks.close();
        sessions.close();
        d.restart();
        wireTasks();
        tasks.restore();
    }

    @AfterEach
    void close() throws Exception {
        agent.exit.complete(0);
        tasks.close();
        sessions.close();
        d.close();
    }

    private Params.TaskStatus start() {
        return tasks.start(new Params.VmTaskStart("g", null, List.of("sh", "-c", "exit 7"), Map.of("A", "b"), null, null, 5_000L));
    }

    private Params.TaskStatus await(long ms) {
        return tasks.await(new Params.VmTaskWait("g", null, ms));
    }

    @Test
    void theExitIsRecordedFromTheWatchersAttachmentAndOutlivesTheAgentsMemory() throws Exception {
        Params.TaskStatus s = start();
        assertThat(s.state()).isEqualTo("running");
        assertThat(s.task()).isEqualTo("main");
        assertThat(s.id()).isEqualTo(FakeAgent.ID);
        assertThat(s.pid()).isEqualTo(42);
        assertThat(agent.tag).isEqualTo("banger.task/main");
        assertThat(agent.shared).isTrue();
        assertThatThrownBy(this::start).isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
                .hasMessageContaining("is running (pid 42)").hasMessageContaining("vm.task_wait");
        assertThat(await(0).state()).as("a wait of 0 answers at once").isEqualTo("running");

        assertThat(tasks.signal(new Params.VmTaskSignal("g", null, "TERM")).number()).isEqualTo(15);
        assertThat(agent.signals).containsExactly(15);

        agent.exit.complete(7);
        Params.TaskStatus ended = await(10_000);
        assertThat(ended.state()).isEqualTo("exited");
        assertThat(ended.exitCode()).isEqualTo(7);
        assertThat(ended.finishedAt()).isNotNull();
        assertThat(agent.forgotten).as("the watcher's attachment collected the exit").isTrue();

        // The agent no longer has it; a restarted daemon and an attach still answer from SQLite.
        restartDaemon();
        assertThat(tasks.status(new Params.VmTaskRef("g", "main")).exitCode()).isEqualTo(7);
        Records.Record[] records = attach(0, 0);
        assertThat(records[records.length - 2].type()).isEqualTo(Exec.NOTICE);
        assertThat(records[records.length - 1].type()).isEqualTo(Exec.EXIT);
        assertThat(Records.u32(records[records.length - 1].payload())).isEqualTo(7);
        assertThatThrownBy(() -> tasks.signal(new Params.VmTaskSignal("g", null, null))).hasMessageContaining("has ended (exit code 7)");

        // A task that ended may run again under its name.
        agent.reset();
        assertThat(start().state()).isEqualTo("running");
    }

    @Test
    void aSignalsEndIsRecordedWithItsSignalAndAttachTellsIt() throws Exception {
        start();
        assertThat(agent.askedForSignal).as("bangerd asks for the signal").isTrue();
        agent.killedBy = 9;
        agent.exit.complete(137);
        Params.TaskStatus ended = await(10_000);
        assertThat(ended.state()).isEqualTo("exited");
        assertThat(ended.exitCode()).isEqualTo(137);
        assertThat(ended.signal()).isEqualTo(9);
        restartDaemon();
        assertThat(tasks.status(new Params.VmTaskRef("g", "main")).signal()).as("from SQLite").isEqualTo(9);
        Records.Record[] records = attach(0, 0);
        assertThat(records[records.length - 1].type()).isEqualTo(Exec.EXIT);
        assertThat(Exec.Exit.read(records[records.length - 1].payload())).isEqualTo(Exec.Exit.killedBy(9));
        assertThatThrownBy(() -> tasks.signal(new Params.VmTaskSignal("g", null, null))).hasMessageContaining("has ended (exit code 137, signal 9)");
    }

    @Test
    void anOldAgentsExitHasNoSignal() {
        start();
        agent.killedBy = 9;
        agent.askedForSignal = false; // as an agent that ignores exit_signal: the 4-byte EXIT
        agent.exit.complete(137);
        Params.TaskStatus ended = await(10_000);
        assertThat(ended.exitCode()).isEqualTo(137);
        assertThat(ended.signal()).isNull();
    }

    @Test
    void aSignalWhileBangerdIsDownIsReadFromTheAgentsTableAtRestart() {
        start();
        tasks.close();
        sessions.close();
        long until = System.nanoTime() + 5_000_000_000L;
        while (agent.attachment.end().isEmpty() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        agent.killedBy = 15;
        agent.exit.complete(143);
        d.restart();
        wireTasks();
        tasks.restore();
        Params.TaskStatus s = await(10_000);
        assertThat(s.exitCode()).isEqualTo(143);
        assertThat(s.signal()).isEqualTo(15);
    }

    @Test
    void anExitWhileBangerdIsDownIsReadFromTheAgentsTableAtRestart() {
        start();
        tasks.close();
        sessions.close(); // the daemon is gone: its attachments with it
        // The exit happens once the guest knows its attachment is gone, so that it is not delivered (and forgotten) there.
        long until = System.nanoTime() + 5_000_000_000L;
        while (agent.attachment.end().isEmpty() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat(agent.attachment.end()).as("the guest saw its attachment end").isPresent();
        agent.exit.complete(3);
        d.restart();
        wireTasks();
        tasks.restore();
        Params.TaskStatus s = await(10_000);
        assertThat(s.state()).isEqualTo("exited");
        assertThat(s.exitCode()).isEqualTo(3);
    }

    @Test
    void aRunningTaskIsFollowedAgainAfterARestartAndAttachReplaysFromAnOffset() throws Exception {
        start();
        restartDaemon();
        assertThat(await(0).state()).isEqualTo("running");
        Thread later = exitLater(300, 5);
        Records.Record[] records = attach(2, 0); // "out\n" from byte 2, all of "err\n"
        later.join();
        assertThat(records[0].type()).isEqualTo(Exec.STARTED);
        Map<Integer, String> text = new LinkedHashMap<>();
        for (Records.Record r : records) {
            if (r.type() == Exec.STDOUT || r.type() == Exec.STDERR) {
                text.merge(r.type(), new String(r.payload(), StandardCharsets.UTF_8), String::concat);
            }
        }
        assertThat(text).containsEntry(Exec.STDOUT, "t\n").containsEntry(Exec.STDERR, "err\n");
        assertThat(records[records.length - 1].type()).isEqualTo(Exec.EXIT);
        assertThat(Records.u32(records[records.length - 1].payload())).isEqualTo(5);
        assertThat(await(10_000).exitCode()).isEqualTo(5);
    }

    @Test
    void aResumingAttachStartsWhereTheClientReportedDeliveringAndKeepsItsNewReports() throws Exception {
        start();
        // A client (a Nomad plugin since killed) had handed on 2 bytes of stdout and 1 of stderr.
        assertThat(d.db.tasks().delivered(d.vms.get("g").id(), "main", FakeAgent.ID, new TaskStore.Delivered(2, 1))).isTrue();
        Thread later = exitLater(500, 5);
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        Records.write(report, Exec.DELIVERED, java.nio.ByteBuffer.allocate(16).putLong(4).putLong(4).array());
        Records.Record[] records = attach(new Params.VmTaskAttach("g", null, null, null, true), report.toByteArray());
        later.join();
        assertThat(records[0].type()).isEqualTo(Exec.POSITION);
        assertThat(records[0].payload()).isEqualTo(java.nio.ByteBuffer.allocate(9).put((byte) 1).putLong(2).array());
        assertThat(records[1].payload()).isEqualTo(java.nio.ByteBuffer.allocate(9).put((byte) 2).putLong(1).array());
        Map<Integer, String> text = new LinkedHashMap<>();
        for (Records.Record r : records) {
            if (r.type() == Exec.STDOUT || r.type() == Exec.STDERR) {
                text.merge(r.type(), new String(r.payload(), StandardCharsets.UTF_8), String::concat);
            }
        }
        assertThat(text).as("only what was not delivered").containsEntry(Exec.STDOUT, "t\n").containsEntry(Exec.STDERR, "rr\n");
        assertThat(d.db.tasks().deliveredOf(d.vms.get("g").id(), "main")).as("the client's new report is kept")
                .isEqualTo(new TaskStore.Delivered(4, 4));
    }

    @Test
    void aStoppedVmsTaskIsLostAndADeletedVmsRowsGo() {
        start();
        d.vms.stop("g", true);
        Params.TaskStatus s = await(10_000);
        assertThat(s.state()).isEqualTo("lost");
        assertThat(s.exitCode()).isNull();
        // Whichever learns it first says so: the lifecycle (the VM stopped) or the task's watcher (the VM is stopping).
        assertThat(s.reason()).matches(".*VM (stopped|is stopping).*before the task's exit was known.*");
        assertThatThrownBy(() -> attach(0, 0)).hasMessageContaining("without its exit being known");
        String id = d.get("g").id();
        d.vms.delete("g", true);
        assertThat(d.db.tasks().find(id, "main")).isEmpty();
        assertThatThrownBy(() -> await(0)).isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void aHostileExitStatusIsNotAnExit() {
        start();
        agent.exit.complete(-1); // 0xffffffff on the wire
        Params.TaskStatus s = await(10_000);
        assertThat(s.state()).isEqualTo("lost");
        assertThat(s.reason()).contains("not one");
    }

    @Test
    void requestsAreCheckedFirst() {
        assertThatThrownBy(() -> tasks.start(new Params.VmTaskStart("g", "Bad Name", List.of("true"), null, null, null, null)))
                .hasMessageContaining("not valid");
        assertThatThrownBy(() -> tasks.start(new Params.VmTaskStart("g", null, List.of(), null, null, null, null))).hasMessageContaining("no command");
        assertThatThrownBy(() -> tasks.status(new Params.VmTaskRef("g", "none"))).isInstanceOfSatisfying(BangerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND)).hasMessageContaining("vm.task_start");
        assertThatThrownBy(() -> tasks.await(new Params.VmTaskWait("g", null, 10_000_000L))).hasMessageContaining("timeout_ms");
        assertThat(agent.tag).as("nothing reached the agent").isNull();
    }

    /** The fake agent's process exits with {@code status} after {@code ms}, on a thread of its own. */
    private Thread exitLater(long ms, int status) {
        return Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                return;
            }
            agent.exit.complete(status);
        });
    }

    /** vm.task_attach's conversation, run to its end: the records it sent. */
    private Records.Record[] attach(long stdoutFrom, long stderrFrom) throws IOException {
        return attach(new Params.VmTaskAttach("g", null, stdoutFrom, stderrFrom), new byte[0]);
    }

    /** The same, {@code fromClient}'s records sent first. */
    private Records.Record[] attach(Params.VmTaskAttach p, byte[] fromClientRecords) throws IOException {
        Conversation[] conversation = new Conversation[1];
        Call call = new VmOrchestrationTest.Steps() {
            @Override
            public void continueWith(Conversation c) {
                conversation[0] = c;
            }
        };
        Params.Conversation answer = tasks.attach(p, call);
        assertThat(answer.protocol()).isEqualTo("task-records/1");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // A client that sends its records and keeps its side open until the end.
        java.io.PipedInputStream fromClient = new java.io.PipedInputStream();
        java.io.PipedOutputStream clientSide = new java.io.PipedOutputStream(fromClient);
        clientSide.write(fromClientRecords);
        clientSide.flush();
        try {
            conversation[0].run(fromClient, out);
        } finally {
            clientSide.close();
        }
        List<Records.Record> records = new ArrayList<>();
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        Records.Record r;
        while ((r = Records.read(in)) != null) {
            records.add(r);
        }
        return records.toArray(Records.Record[]::new);
    }

    /** A guest agent with one shared detached process, as banger-agent's Detached keeps it. */
    static final class FakeAgent implements OpenHandler {
        static final String ID = "0badc0de";
        volatile CompletableFuture<Integer> exit = new CompletableFuture<>();
        /** The signal that ends the process (its status then 128 + it), 0 for none. */
        volatile int killedBy;
        /** Whether the host's last exec or proc_connect asked for the signal in EXIT. */
        volatile boolean askedForSignal;
        volatile boolean started;
        volatile boolean forgotten;
        volatile boolean shared;
        volatile String tag;
        /** The latest attachment's stream (exec's or proc_connect's). */
        volatile Stream attachment;
        final List<Integer> signals = java.util.Collections.synchronizedList(new ArrayList<>());

        void reset() {
            exit = new CompletableFuture<>();
            started = false;
            forgotten = false;
        }

        @Override
        public void onOpen(Stream stream, byte[] request) throws Exception {
            Map<?, ?> r = Json.MAPPER.readValue(request, Map.class);
            OutputStream out = stream.output();
            switch (String.valueOf(r.get("op"))) {
                case "ready" -> answer(out, Map.of("ready", true));
                case "exec" -> {
                    tag = (String) r.get("tag");
                    shared = Boolean.TRUE.equals(r.get("shared"));
                    started = true;
                    attachment = stream;
                    askedForSignal = Boolean.TRUE.equals(r.get(Exec.EXIT_SIGNAL_FIELD));
                    answer(out, Map.of("id", ID, "pid", 42));
                    records(stream, true);
                }
                case "proc_connect" -> {
                    if (!started || forgotten || !ID.equals(r.get("id"))) {
                        text(out, "{\"ok\":false,\"error\":\"no detached process\",\"kind\":\"not_found\"}\n");
                    } else {
                        attachment = stream;
                        askedForSignal = Boolean.TRUE.equals(r.get(Exec.EXIT_SIGNAL_FIELD));
                        answer(out, row());
                        records(stream, Boolean.TRUE.equals(r.get("replay")));
                    }
                }
                case "procs" -> answer(out, Map.of("processes", started && !forgotten ? List.of(row()) : List.of(), "max", 64));
                case "signal" -> {
                    signals.add(((Number) r.get("signal")).intValue());
                    answer(out, Map.of("id", ID, "pid", 42, "signal", r.get("signal")));
                }
                default -> text(out, "{\"ok\":false,\"error\":\"unknown op\"}\n");
            }
            stream.close();
        }

        private Map<String, Object> row() {
            boolean done = exit.isDone();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", ID);
            m.put("pid", 42);
            m.put("argv", List.of("sh"));
            m.put("state", done ? "exited" : "running");
            m.put("exit_status", done ? exit.join() : null);
            m.put("exit_signal", done && killedBy != 0 ? killedBy : null);
            m.put("tag", tag);
            m.put("shared", true);
            return m;
        }

        private void records(Stream stream, boolean replay) {
            OutputStream out = stream.output();
            try {
                Records.write(out, Exec.STARTED, Records.u32(42));
                if (replay) {
                    Records.write(out, Exec.STDOUT, "out\n".getBytes(StandardCharsets.UTF_8));
                    Records.write(out, Exec.STDERR, "err\n".getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                int status = exit.join();
                Records.write(out, Exec.EXIT, Exec.Exit.reported(status, killedBy).payload(askedForSignal));
                out.flush();
                // Forgotten once an attachment delivered the exit, as the agent does: not into a stream the host had closed.
                if (stream.end().isEmpty()) {
                    forgotten = true;
                }
            } catch (IOException e) {
                // the host went away: the process is not collected
            }
        }

        private static void answer(OutputStream out, Object result) throws IOException {
            text(out, Json.MAPPER.writeValueAsString(Map.of("ok", true, "result", result)) + "\n");
        }

        private static void text(OutputStream out, String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }
}
