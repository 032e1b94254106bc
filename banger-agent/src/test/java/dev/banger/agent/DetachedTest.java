package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detached processes over real channels, with real commands on this machine: started, listed, attached
 * (kept output, then live, stdin), signalled, collected; they outlive the host session that started them.
 */
@Timeout(120)
class DetachedTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private AgentLink agent;
    private Channel host;
    private final List<Long> started = new ArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        agent = new AgentLink(dir);
        host = agent.connect();
    }

    @AfterEach
    void close() throws IOException {
        for (long pid : started) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        agent.close();
    }

    private JsonNode ask(Channel c, Map<String, Object> request) throws IOException {
        try (Stream s = c.open(JSON.writeValueAsBytes(request))) {
            return JSON.readTree(s.input().readAllBytes());
        }
    }

    /** Starts argv detached; its id. */
    private String detach(boolean stdin, String... argv) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "exec");
        request.put("detach", true);
        request.put("argv", List.of(argv));
        request.put("stdin", stdin);
        JsonNode reply = ask(host, request);
        assertThat(reply.path("ok").asBoolean()).as("%s", reply).isTrue();
        started.add(reply.at("/result/pid").asLong());
        String id = reply.at("/result/id").asText();
        assertThat(id).matches("[0-9a-f]{8}");
        return id;
    }

    private JsonNode procs(Channel c) throws IOException {
        JsonNode reply = ask(c, Map.of("op", "procs"));
        assertThat(reply.at("/result/max").asInt()).isEqualTo(Detached.MAX_PROCESSES);
        return reply.at("/result/processes");
    }

    private JsonNode proc(Channel c, String id) throws IOException {
        for (JsonNode p : procs(c)) {
            if (p.path("id").asText().equals(id)) {
                return p;
            }
        }
        return null;
    }

    private JsonNode signal(Channel c, String id, int signal) throws IOException {
        return ask(c, Map.of("op", "signal", "id", id, "signal", signal));
    }

    private Stream attach(Channel c, String id, boolean stdin) throws IOException {
        return c.open(JSON.writeValueAsBytes(Map.of("op", "attach", "id", id, "stdin", stdin)));
    }

    /** An attach that asks for the signal in EXIT, as bangerd does. */
    private Stream attachAskingTheSignal(Channel c, String id) throws IOException {
        return c.open(JSON.writeValueAsBytes(Map.of("op", "attach", "id", id, "stdin", false, Exec.EXIT_SIGNAL_FIELD, true)));
    }

    /** What an attachment carried to the end: output, notices, exit status. */
    record Attached(String stdout, String stderr, String notices, int exit, String error) {
    }

    /** The EXIT an attachment ends with, read as bangerd reads it; null when there was none. */
    private static Exec.Exit exitOf(Stream s) throws IOException {
        Exec.Exit exit = null;
        Records.Record r;
        while ((r = Records.read(s.input())) != null) {
            if (r.type() == Exec.EXIT) {
                exit = Exec.Exit.read(r.payload());
            }
        }
        return exit;
    }

    @Test
    void aProcessASignalEndedIsListedAndCollectedWithItsSignal() throws Exception {
        String killed = detach(false, "sleep", "60");
        signal(host, killed, 15);
        assertThat(ServiceTest.await(() -> exited(killed))).isTrue();
        JsonNode p = proc(host, killed);
        assertThat(p.path("exit_status").asInt()).isEqualTo(143);
        assertThat(p.path("exit_signal").asInt()).isEqualTo(15);
        try (Stream s = attachAskingTheSignal(host, killed)) {
            assertThat(exitOf(s)).isEqualTo(Exec.Exit.killedBy(15));
        }
        String byItself = detach(false, "sh", "-c", "exit 143");
        assertThat(ServiceTest.await(() -> exited(byItself))).isTrue();
        assertThat(proc(host, byItself).path("exit_signal").isNull()).as("exit 143 is no signal").isTrue();
        try (Stream s = attachAskingTheSignal(host, byItself)) {
            assertThat(exitOf(s)).isEqualTo(Exec.Exit.code(143));
        }
    }

    private static Attached collect(Stream s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringBuilder notices = new StringBuilder();
        int exit = -1;
        String error = null;
        Records.Record r;
        while ((r = Records.read(s.input())) != null) {
            switch (r.type()) {
                case Exec.STDOUT -> out.write(r.payload());
                case Exec.STDERR -> err.write(r.payload());
                case Exec.NOTICE -> notices.append(r.text()).append('\n');
                case Exec.EXIT -> exit = Records.u32(r.payload());
                case Exec.ERROR -> error = r.text();
                default -> { }
            }
        }
        return new Attached(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), notices.toString(), exit, error);
    }

    @Test
    void anExitedProcessIsListedWithItsStatusUntilAnAttachCollectsIt() throws Exception {
        String id = detach(false, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertThat(ServiceTest.await(() -> exited(id))).isTrue();
        JsonNode p = proc(host, id);
        assertThat(p.path("exit_status").asInt()).isEqualTo(3);
        assertThat(p.path("argv").toString()).isEqualTo("[\"sh\",\"-c\",\"echo out; echo err >&2; exit 3\"]");
        assertThat(p.path("age_ms").asLong()).isNotNegative();
        assertThat(proc(host, id)).as("listing does not collect").isNotNull();
        try (Stream s = attach(host, id, false)) {
            Attached a = collect(s);
            assertThat(a).isEqualTo(new Attached("out\n", "err\n", "", 3, null));
        }
        assertThat(proc(host, id)).as("collected").isNull();
        try (Stream s = attach(host, id, false)) {
            assertThat(collect(s).error()).contains("no detached process '" + id + "'");
        }
    }

    private boolean exited(String id) {
        try {
            return proc(host, id).path("state").asText().equals("exited");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void processesOutliveTheSessionThatStartedThemAndAreSignalledByGroup() throws Exception {
        String id = detach(false, "sh", "-c", "trap 'echo got-term; exit 9' TERM; echo up; while :; do sleep 0.1; done");
        host.close("bangerd restarted");
        Channel again = agent.connect();
        JsonNode p = proc(again, id);
        assertThat(p.path("state").asText()).isEqualTo("running");
        assertThat(p.path("exit_status").isNull()).isTrue();
        long pid = p.path("pid").asLong();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true);

        assertThat(signal(again, id, 15).at("/result/pid").asLong()).isEqualTo(pid);
        try (Stream s = attach(again, id, false)) {
            Attached a = collect(s);
            assertThat(a.stdout()).isEqualTo("up\ngot-term\n");
            assertThat(a.exit()).isEqualTo(9);
        }
        assertThat(signal(again, "0badc0de", 9).path("error").asText()).contains("no detached process '0badc0de'");
    }

    @Test
    void anAttachmentForwardsStdinAndLeavingItLeavesTheProcessRunning() throws Exception {
        String id = detach(true, "sh", "-c", "echo ready; while read line; do echo \"got:$line\"; done; echo eof; exit 5");
        try (Stream first = attach(host, id, true)) {
            assertThat(AgentLink.readUntil(first, Exec.STDOUT, "ready")).isEqualTo("ready\n");
            AgentLink.send(first, Exec.STDIN, "one\n");
            AgentLink.readUntil(first, Exec.STDOUT, "got:one");
            try (Stream second = attach(host, id, false)) {
                assertThat(collect(second).error()).contains("has a client attached already");
            }
            first.close(-1, "the client went away");
        }
        assertThat(ServiceTest.await(() -> {
            try {
                return !proc(host, id).path("attached").asBoolean();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        })).isTrue();
        assertThat(proc(host, id).path("state").asText()).isEqualTo("running");
        try (Stream again = attach(host, id, true)) {
            String kept = AgentLink.readUntil(again, Exec.STDOUT, "got:one"); // what was kept comes again
            AgentLink.send(again, Exec.STDIN, "two\n");
            AgentLink.send(again, Exec.STDIN_EOF, new byte[0]);
            Attached a = collect(again);
            assertThat(kept + a.stdout()).isEqualTo("ready\ngot:one\ngot:two\neof\n");
            assertThat(a.exit()).isEqualTo(5);
        }
    }

    @Test
    void stdinIsRefusedToAProcessStartedWithoutIt() throws Exception {
        String id = detach(false, "sleep", "30");
        try (Stream s = attach(host, id, true)) {
            assertThat(collect(s).error()).contains("was started without -i");
        }
        assertThat(signal(host, id, 9).path("ok").asBoolean()).isTrue();
        assertThat(ServiceTest.await(() -> exited(id))).isTrue();
        assertThat(signal(host, id, 9).path("error").asText()).contains("has exited (status 137)");
    }

    @Test
    void olderOutputIsDroppedAndTheAttachmentSaysSo() throws Exception {
        int total = Detached.RING_BYTES + 100_000;
        String id = detach(false, "sh", "-c", "head -c " + total + " /dev/zero | tr '\\0' a; echo tail >&2");
        assertThat(ServiceTest.await(() -> exited(id))).isTrue();
        assertThat(proc(host, id).path("stdout_dropped").asLong()).isEqualTo(100_000);
        try (Stream s = attach(host, id, false)) {
            Attached a = collect(s);
            assertThat(a.stdout()).hasSize(Detached.RING_BYTES).matches("a+");
            assertThat(a.stderr()).isEqualTo("tail\n");
            assertThat(a.notices()).contains("100000 bytes of its stdout were dropped");
            assertThat(a.exit()).isZero();
        }
    }

    @Test
    void theRegistryIsBoundedAndSaysHowToMakeRoom() throws Exception {
        for (int i = 0; i < Detached.MAX_PROCESSES; i++) {
            detach(false, "sleep", "60");
        }
        Map<String, Object> more = Map.of("op", "exec", "detach", true, "argv", List.of("true"));
        assertThat(ask(host, more).path("error").asText()).contains("holds 64 detached processes already").contains("--attach").contains("--kill");
        assertThat(procs(host)).hasSize(Detached.MAX_PROCESSES);
        String first = procs(host).get(0).path("id").asText();
        signal(host, first, 9);
        assertThat(ServiceTest.await(() -> exited(first))).isTrue();
        try (Stream s = attach(host, first, false)) {
            assertThat(collect(s).exit()).isEqualTo(137);
        }
        assertThat(ask(host, more).path("ok").asBoolean()).as("room again after a collection").isTrue();
    }

    @Test
    void aCommandThatCannotStartIsAnErrorAndTakesNoEntry() throws Exception {
        Map<String, Object> request = Map.of("op", "exec", "detach", true, "argv", List.of("true"), "user", "no-such-user-banger");
        assertThat(ask(host, request).path("error").asText()).contains("no user 'no-such-user-banger'");
        assertThat(ask(host, Map.of("op", "signal", "id", "x", "signal", 99)).path("error").asText()).contains("'signal' must be");
        assertThat(procs(host)).isEmpty();
    }
}
