package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import dev.banger.channel.Exec;
import dev.banger.channel.Lines;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long-lived processes the E2B translation needs, over real channels: started attached with a tag (the answer
 * line, then STARTED first), input and close-stdin as ops, signals by tag, a terminal and its size, connecting
 * from a second channel after the first closed, listing with tag, env and cwd.
 */
@Timeout(120)
class LongLivedProcessTest {
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

    /** Opens a stream whose first line is a JSON answer; the answer, checked to be ok. */
    private JsonNode openAnswered(Stream s) throws IOException {
        JsonNode answer = JSON.readTree(Lines.readBounded(s.input(), 65536));
        assertThat(answer.path("ok").asBoolean()).as("%s", answer).isTrue();
        return answer.path("result");
    }

    private Stream startAttached(Map<String, Object> fields, String... argv) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>(fields);
        request.put("op", "exec");
        request.put("detach", true);
        request.put("attach", true);
        request.put("shared", true);
        request.put("argv", List.of(argv));
        return host.open(JSON.writeValueAsBytes(request));
    }

    private static String collectOutput(Stream s, int[] exit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Records.Record r;
        while ((r = Records.read(s.input())) != null) {
            if (r.type() == Exec.STDOUT || r.type() == Exec.STDERR) {
                out.write(r.payload());
            } else if (r.type() == Exec.EXIT) {
                exit[0] = Records.u32(r.payload());
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void startedAttachedWithATagTakesInputAsOpsAndEndsWhenStdinCloses() throws Exception {
        try (Stream s = startAttached(Map.of("tag", "reader", "stdin", true, "env", Map.of("GREETING", "hi"), "cwd", "/tmp"),
                "sh", "-c", "echo \"$GREETING from $(pwd)\"; while read l; do echo \"got:$l\"; done; echo eof >&2; exit 4")) {
            JsonNode startedAnswer = openAnswered(s);
            long pid = startedAnswer.path("pid").asLong();
            started.add(pid);
            Records.Record first = Records.read(s.input());
            assertThat(first.type()).isEqualTo(Exec.STARTED);
            assertThat(Records.u32(first.payload())).isEqualTo((int) pid);
            AgentLink.readUntil(s, Exec.STDOUT, "hi from /tmp");
            JsonNode row = list().stream().filter(p -> "reader".equals(p.path("tag").asText())).findFirst().orElseThrow();
            assertThat(row.path("env").path("GREETING").asText()).isEqualTo("hi");
            assertThat(row.path("cwd").asText()).isEqualTo("/tmp");
            assertThat(row.path("pid").asLong()).isEqualTo(pid);
            assertThat(ask(host, Map.of("op", "proc_input", "tag", "reader", "data", b64("one\n"))).at("/result/bytes").asInt()).isEqualTo(4);
            AgentLink.readUntil(s, Exec.STDOUT, "got:one");
            assertThat(ask(host, Map.of("op", "proc_close_stdin", "pid", pid)).path("ok").asBoolean()).isTrue();
            int[] exit = {-1};
            assertThat(collectOutput(s, exit)).isEqualTo("eof\n");
            assertThat(exit[0]).isEqualTo(4);
        }
        JsonNode again = ask(host, Map.of("op", "exec", "detach", true, "tag", "", "argv", List.of("true")));
        assertThat(again.path("error").asText()).contains("'tag'");
    }

    @Test
    void aSecondChannelConnectsByTagAfterTheFirstClosedAndSignalsIt() throws Exception {
        Stream s = startAttached(Map.of("tag", "server"), "sh", "-c", "trap 'echo term; exit 7' TERM; echo up; while :; do sleep 0.1; done");
        long pid = openAnswered(s).path("pid").asLong();
        started.add(pid);
        AgentLink.readUntil(s, Exec.STDOUT, "up");
        Stream dup = startAttached(Map.of("tag", "server"), "true");
        JsonNode taken = JSON.readTree(Lines.readBounded(dup.input(), 65536));
        assertThat(taken.path("kind").asText()).as("%s", taken).isEqualTo("exists");
        host.close("the first client went away");

        Channel second = agent.connect();
        try (Stream c = second.open(JSON.writeValueAsBytes(Map.of("op", "proc_connect", "tag", "server")))) {
            JsonNode row = openAnswered(c);
            assertThat(row.path("pid").asLong()).isEqualTo(pid);
            assertThat(row.path("state").asText()).isEqualTo("running");
            assertThat(Records.read(c.input()).type()).isEqualTo(Exec.STARTED);
            try (Stream other = second.open(JSON.writeValueAsBytes(Map.of("op", "proc_connect", "pid", pid)))) {
                openAnswered(other); // shared: a second attachment at once
                assertThat(Records.read(other.input()).type()).isEqualTo(Exec.STARTED);
                assertThat(ask(second, Map.of("op", "signal", "tag", "server", "signal", 15)).at("/result/pid").asLong()).isEqualTo(pid);
                int[] exit = {-1};
                String out = collectOutput(c, exit);
                assertThat(out).as("only output from now on (the shell may report its killed sleep)").contains("term\n").doesNotContain("up");
                assertThat(exit[0]).isEqualTo(7);
                int[] exit2 = {-1};
                assertThat(collectOutput(other, exit2)).contains("term\n").doesNotContain("up");
                assertThat(exit2[0]).isEqualTo(7);
            }
        }
        try (Stream c = second.open(JSON.writeValueAsBytes(Map.of("op", "proc_connect", "tag", "nobody")))) {
            JsonNode refused = JSON.readTree(Lines.readBounded(c.input(), 65536));
            assertThat(refused.path("kind").asText()).as("%s", refused).isEqualTo("not_found");
        }
        host = second;
        assertThat(list()).noneMatch(p -> "server".equals(p.path("tag").asText()));
    }

    @Test
    void aTerminalProcessTakesTypedInputAndItsSize() throws Exception {
        try (Stream s = startAttached(Map.of("tty", true, "rows", 30, "cols", 100, "tag", "term"), "sh", "-c",
                "stty size; read l; echo \"typed:$l\"; stty size")) {
            started.add(openAnswered(s).path("pid").asLong());
            AgentLink.readUntil(s, Exec.STDOUT, "30 100");
            assertThat(ask(host, Map.of("op", "proc_resize", "tag", "term", "rows", 40, "cols", 120)).path("ok").asBoolean()).isTrue();
            assertThat(ask(host, Map.of("op", "proc_input", "tag", "term", "data", b64("abc\n"))).path("ok").asBoolean()).isTrue();
            String typed = AgentLink.readUntil(s, Exec.STDOUT, "typed:abc");
            int[] exit = {-1};
            assertThat(typed + collectOutput(s, exit)).contains("40 120");
            assertThat(exit[0]).isZero();
        }
        JsonNode plain = ask(host, Map.of("op", "exec", "detach", true, "shared", true, "tag", "plain", "argv", List.of("sleep", "30")));
        started.add(plain.at("/result/pid").asLong());
        assertThat(ask(host, Map.of("op", "proc_resize", "tag", "plain", "rows", 4, "cols", 4)).path("error").asText()).contains("no terminal");
        assertThat(ask(host, Map.of("op", "proc_input", "tag", "plain", "data", b64("x"))).path("error").asText()).contains("without stdin");
        assertThat(ask(host, Map.of("op", "proc_input", "tag", "plain", "data", "!!")).path("error").asText()).contains("base64");
        String tooMuch = Base64.getEncoder().encodeToString(new byte[Detached.MAX_INPUT + 1]);
        assertThat(ask(host, Map.of("op", "proc_input", "tag", "plain", "data", tooMuch)).path("error").asText()).contains("at most");
        assertThat(ask(host, Map.of("op", "proc_input", "data", "eA==")).path("error").asText()).contains("'id', 'tag' or 'pid'");
        JsonNode longTag = ask(host, Map.of("op", "exec", "detach", true, "tag", "t".repeat(Detached.MAX_TAG + 1), "argv", List.of("true")));
        assertThat(longTag.path("error").asText()).contains("'tag'");
    }

    private List<JsonNode> list() throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        ask(host, Map.of("op", "procs")).at("/result/processes").forEach(rows::add);
        return rows;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
