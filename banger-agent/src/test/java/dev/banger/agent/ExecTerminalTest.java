package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code exec} with {@code "tty": true} over a real channel, running real commands on this machine on a real
 * pseudo-terminal: what a guest's command sees ({@code tty}, {@code stty size}, TERM), window size changes,
 * Ctrl-C as a byte, all output as STDOUT, and the terminal's end.
 */
@Timeout(60)
class ExecTerminalTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private AgentLink agent;
    private Channel host;

    @BeforeEach
    void connect() throws Exception {
        agent = new AgentLink(dir);
        host = agent.connect();
    }

    @AfterEach
    void close() throws IOException {
        agent.close();
    }

    private Stream open(List<String> argv, Map<String, String> env) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "exec");
        request.put("argv", argv);
        request.put("tty", true);
        request.put("rows", 33);
        request.put("cols", 101);
        request.put("stdin", true);
        request.put("env", env);
        return host.open(JSON.writeValueAsBytes(request));
    }

    private ServiceTest.Ran run(String... argv) throws IOException {
        try (Stream s = open(List.of(argv), Map.of())) {
            return ServiceTest.collect(s);
        }
    }

    @Test
    void theCommandRunsOnATerminalOfTheRequestedSize() throws Exception {
        ServiceTest.Ran r = run("sh", "-c", "tty; test -t 0 && test -t 1 && test -t 2 && echo all-three; stty size; echo \"$TERM\"");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).matches("(?s)/dev/pts/[0-9]+\r\nall-three\r\n33 101\r\nxterm-256color\r\n");
        assertThat(r.stderr()).as("a terminal has one output").isEmpty();
    }

    @Test
    void termComesFromTheRequestAndStderrArrivesAsStdout() throws Exception {
        try (Stream s = open(List.of("sh", "-c", "echo \"$TERM\"; echo to-stderr >&2"), Map.of("TERM", "vt100"))) {
            ServiceTest.Ran r = ServiceTest.collect(s);
            assertThat(r.stdout()).isEqualTo("vt100\r\nto-stderr\r\n");
            assertThat(r.stderr()).isEmpty();
        }
    }

    @Test
    void resizeRecordsChangeTheWindowAndTheCommandIsToldOfIt() throws Exception {
        try (Stream s = open(List.of("sh", "-c", "trap 'echo winch; stty size' WINCH; echo ready; stty size; "
                // a trap interrupts read: the loop goes on until the line is read
                + "while :; do if read line; then [ \"$line\" = quit ] && exit 4; fi; done"), Map.of())) {
            AgentLink.readUntil(s, Exec.STDOUT, "33 101");
            AgentLink.send(s, Exec.RESIZE, Exec.resize(40, 120));
            AgentLink.readUntil(s, Exec.STDOUT, "40 120");
            AgentLink.send(s, Exec.RESIZE, new byte[] {1, 2, 3}); // malformed: ignored
            AgentLink.send(s, Exec.STDIN, "quit\n");
            ServiceTest.Ran rest = ServiceTest.collect(s);
            assertThat(rest.stdout()).as("the terminal echoes input: %s", rest).contains("quit");
            assertThat(rest.exit()).isEqualTo(4);
        }
    }

    @Test
    void ctrlCIsAByteTheTerminalTurnsIntoSigint() throws Exception {
        try (Stream s = open(List.of("sh", "-c", "echo ready; exec sleep 60"), Map.of())) {
            AgentLink.readUntil(s, Exec.STDOUT, "ready");
            AgentLink.send(s, Exec.STDIN, new byte[] {3});
            assertThat(ServiceTest.collect(s).exit()).as("128 + SIGINT").isEqualTo(130);
        }
    }

    @Test
    void theEndOfTheHostsInputIsCtrlD() throws Exception {
        try (Stream s = open(List.of("sh", "-c", "echo ready; cat >/dev/null; echo cat-saw-eof"), Map.of())) {
            AgentLink.readUntil(s, Exec.STDOUT, "ready");
            AgentLink.send(s, Exec.STDIN_EOF, new byte[0]);
            ServiceTest.Ran r = ServiceTest.collect(s);
            assertThat(r.stdout()).contains("cat-saw-eof");
            assertThat(r.exit()).isZero();
        }
    }

    @Test
    void aBackgroundProcessHoldingTheTerminalDoesNotHoldTheExitAndIsHungUp() throws Exception {
        Path pidFile = dir.resolve("bg.pid");
        long t0 = System.nanoTime();
        ServiceTest.Ran r = run("sh", "-c", "sleep 30 & echo $! > " + pidFile + "; echo started");
        assertThat(r.exit()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        long bg = Long.parseLong(Files.readString(pidFile).strip());
        assertThat(ServiceTest.await(() -> ProcessHandle.of(bg).map(h -> !h.isAlive()).orElse(true)))
                .as("the terminal's hang-up ended what the command left on it, as with ssh -t").isTrue();
    }

    @Test
    void missingCommandsAre127AndTheMasterIsClosedAfterEachRun() throws Exception {
        run("true"); // the agent's own terminal is made once, on first use
        long before = ptmxDescriptors();
        ServiceTest.Ran missing = run("no-such-command-banger");
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.stdout()).contains("no-such-command-banger");
        for (int i = 0; i < 5; i++) {
            assertThat(run("true").exit()).isZero();
        }
        assertThat(ServiceTest.await(() -> ptmxDescriptors() == before)).as("no terminal left open").isTrue();
    }

    @Test
    void malformedTerminalSizesAreRefused() throws Exception {
        String request = "{\"op\":\"exec\",\"argv\":[\"true\"],\"tty\":true,\"rows\":0}";
        try (Stream s = host.open(request.getBytes(StandardCharsets.UTF_8))) {
            assertThat(new String(s.input().readAllBytes(), StandardCharsets.UTF_8)).contains("'rows' must be an integer from 1 to 10000");
        }
    }

    @Test
    void windowSizePayloadsAreBounded() {
        assertThat(ExecSession.windowSize(Exec.resize(24, 80))).containsExactly(24, 80);
        assertThat(ExecSession.windowSize(Exec.resize(0, 80))).isNull();
        assertThat(ExecSession.windowSize(Exec.resize(24, 10_001))).isNull();
        assertThat(ExecSession.windowSize(Records.u32(24))).isNull();
        assertThat(ExecSession.windowSize(new byte[] {-1, -1, -1, -1, 0, 0, 0, 80})).isNull();
    }

    /** This JVM's descriptors open on /dev/ptmx (a terminal's master). */
    private static long ptmxDescriptors() {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains("ptmx");
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
