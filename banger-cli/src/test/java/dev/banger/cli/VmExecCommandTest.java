package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.RpcResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm exec}'s command lines: the detached-process modes send their requests and print their answers,
 * {@code -t} sends a terminal's size and TERM, and every combination that makes no sense is a usage error
 * (exit 2) that says what to do, before bangerd is asked anything. bangerd is played on a real Unix socket.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VmExecCommandTest {
    @TempDir
    Path home;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<JsonNode> requests = new ArrayList<>();
    private CliContext ctx;
    private ServerSocketChannel daemon;

    @BeforeEach
    void listen() throws IOException {
        ctx = CliContext.of(new PrintWriter(out), new PrintWriter(err), Map.of("BANGER_HOME", home.toString(), "TERM", "screen"), home,
                false);
        Files.createDirectories(ctx.paths().socket().getParent());
        daemon = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        daemon.bind(UnixDomainSocketAddress.of(ctx.paths().socket()));
    }

    @AfterEach
    void close() throws IOException {
        daemon.close();
    }

    /** Plays bangerd for one connection: records the request, answers {@code result}, then closes. */
    private Thread answer(Object result) {
        return Thread.ofVirtual().start(() -> {
            try (SocketChannel client = daemon.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
                JsonNode line = Json.MAPPER.readTree(in.readLine());
                synchronized (requests) {
                    requests.add(line);
                }
                client.write(ByteBuffer.wrap((RpcResponse.successLine(line.get("id"), result) + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    private JsonNode onlyRequest(Thread answered) throws InterruptedException {
        answered.join();
        assertThat(requests).hasSize(1);
        return requests.getFirst();
    }

    @Test
    void listPrintsATableOfTheVmsDetachedProcesses() throws Exception {
        Thread t = answer(new Params.ExecProcesses("web", List.of(
                new Params.ExecProcess("0badc0de", 321, List.of("sleep", "600"), "running", null, 90_000, null, false, false, 0, 0),
                new Params.ExecProcess("00000001", 322, List.of("sh", "-c", "exit 3\u001b[2J"), "exited", 3, 5_000, 1000L, true, false, 0, 0)),
                64));

        int status = Main.run(ctx, "vm", "exec", "web", "--list");

        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(onlyRequest(t).get("method").asText()).isEqualTo("vm.exec_list");
        assertThat(requests.getFirst().get("params")).isEqualTo(Json.MAPPER.readTree("{\"vm\":\"web\"}"));
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.getFirst()).startsWith("ID").contains("PID").contains("STATE").contains("AGE").contains("COMMAND");
        assertThat(lines.get(1)).startsWith("0badc0de").contains("321").contains("running").contains("1m").contains("sleep 600");
        assertThat(lines.get(2)).contains("exited (3)").contains("sh -c exit 3").doesNotContain("\u001b");
        assertThat(err.toString()).contains("1 exited process(es) keep their status until collected: banger vm exec web --attach ID");
    }

    @Test
    void detachSendsTheCommandAndPrintsTheId() throws Exception {
        Thread t = answer(new Params.ExecStarted("web", "0badc0de", 321));

        int status = Main.run(ctx, "vm", "exec", "web", "--detach", "-i", "-e", "A=1", "-w", "/work", "--", "sleep", "600");

        assertThat(status).as("stderr: %s", err).isZero();
        JsonNode r = onlyRequest(t);
        assertThat(r.get("method").asText()).isEqualTo("vm.exec_detach");
        assertThat(r.get("params")).isEqualTo(Json.MAPPER.readTree("{\"vm\":\"web\",\"argv\":[\"sleep\",\"600\"],\"env\":{\"A\":\"1\"},"
                + "\"cwd\":\"/work\",\"user\":null,\"stdin\":true,\"ready_timeout_ms\":" + VmExecCommand.READY_TIMEOUT_MS + "}"));
        assertThat(out.toString()).isEqualTo("0badc0de\n");
    }

    @Test
    void killSendsTheSignalAsGivenAndJsonPrintsTheAnswer() throws Exception {
        Thread t = answer(new Params.ExecSignalled("web", "0badc0de", 321, "TERM", 15));

        int status = Main.run(ctx, "vm", "exec", "web", "--kill", "0badc0de", "--signal", "term", "--json");

        assertThat(status).as("stderr: %s", err).isZero();
        JsonNode r = onlyRequest(t);
        assertThat(r.get("method").asText()).isEqualTo("vm.exec_signal");
        assertThat(r.get("params")).isEqualTo(Json.MAPPER.readTree("{\"vm\":\"web\",\"id\":\"0badc0de\",\"signal\":\"term\"}"));
        assertThat(Json.MAPPER.readValue(out.toString(), Params.ExecSignalled.class)).isEqualTo(new Params.ExecSignalled("web", "0badc0de",
                321, "TERM", 15));
    }

    @Test
    void aTerminalSendsItsSizeAndType() throws Exception {
        Thread t = answer(new Params.Conversation("web", "exec-records/1", "serial")); // then hangs up: the output is lost

        int status = Main.run(ctx, "vm", "exec", "-t", "web", "--", "tty");

        assertThat(status).as("the connection ended before an exit").isEqualTo(1);
        assertThat(err.toString()).contains("lost the command's output");
        JsonNode params = onlyRequest(t).get("params");
        assertThat(params.get("tty").asBoolean()).isTrue();
        assertThat(params.get("rows").asInt()).isPositive();
        assertThat(params.get("cols").asInt()).isPositive();
        assertThat(params.at("/env/TERM").asText()).as("this terminal's type").isEqualTo("screen");
        assertThat(params.get("stdin").asBoolean()).as("-t alone reads nothing here").isFalse();
    }

    @Test
    void termIsPassedOnOnlyWhenItIsAPlainName() {
        assertThat(VmExecCommand.term(Map.of("TERM", "xterm-kitty"))).isEqualTo("xterm-kitty");
        assertThat(VmExecCommand.term(Map.of())).isEqualTo("xterm-256color");
        assertThat(VmExecCommand.term(Map.of("TERM", "dumb"))).isEqualTo("xterm-256color");
        assertThat(VmExecCommand.term(Map.of("TERM", "x; rm -rf /"))).isEqualTo("xterm-256color");
    }

    @Test
    void combinationsThatMakeNoSenseAreUsageErrorsBeforeBangerdIsAsked() {
        Map<List<String>, String> lines = Map.ofEntries(
                Map.entry(List.of("web", "--detach", "--list"), "--detach and --list do not go together"),
                Map.entry(List.of("web", "--attach", "0badc0de", "--kill", "0badc0de"), "--attach and --kill do not go together"),
                Map.entry(List.of("web", "--signal", "TERM"), "--signal goes with --kill ID"),
                Map.entry(List.of("web", "--list", "--", "ls"), "--list takes no command"),
                Map.entry(List.of("web", "--list", "-u", "root"), "--list takes no --user"),
                Map.entry(List.of("web", "--kill", "0badc0de", "-i"), "--kill takes no --interactive"),
                Map.entry(List.of("web", "--attach", "0badc0de", "-t"), "--attach takes no --tty"),
                Map.entry(List.of("web", "--detach", "-t", "--", "top"), "a detached command has no terminal"),
                Map.entry(List.of("web", "--detach"), "no command"),
                Map.entry(List.of("web"), "no command"),
                Map.entry(List.of("web", "--json", "--", "ls"), "--json goes with --list, --detach or --kill"),
                Map.entry(List.of("web", "-it", "--", "sh"), "-t with -i needs a terminal on stdin"));
        lines.forEach((line, message) -> {
            err.getBuffer().setLength(0);
            List<String> argv = new ArrayList<>(List.of("vm", "exec"));
            argv.addAll(line);

            int status = Main.run(ctx, argv.toArray(String[]::new));

            assertThat(status).as("%s: %s", line, err).isEqualTo(2);
            assertThat(err.toString()).as("%s", line).contains(message);
        });
        assertThat(requests).as("nothing reached bangerd").isEmpty();
    }
}
