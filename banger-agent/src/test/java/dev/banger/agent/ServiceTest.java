package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's service over a real channel (a host {@link Channel} and the agent's guest side over a Unix
 * socket), running real commands on this machine: what the daemon will see through a VM's port.
 */
@Timeout(60)
class ServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ports over a fixed ss output, with real command lines from /proc (this JVM's pid). */
    static final class FixedPorts extends Ports {
        FixedPorts() {
            super(-1); // the listener below is this JVM's: keep it
        }

        @Override
        String runSs() {
            long me = ProcessHandle.current().pid();
            return "tcp LISTEN 0 5 0.0.0.0:8080 0.0.0.0:* users:((\"java\",pid=" + me + ",fd=3))\nnonsense\n";
        }
    }

    /**
     * The agent's service over {@code dir}: its ready file and its detached processes' output there; the identity
     * op's steps recorded, never done (the real ones would reseed and set this machine's clock).
     */
    static Service service(Path dir) {
        Users users = new Users(Path.of("/etc/passwd"));
        return new Service(new FixedPorts(), users, dir.resolve("ready"), new Detached(dir.resolve("detached"), users),
                new IdentityTest.Recording());
    }

    @TempDir
    Path dir;
    private Channel host;
    private Channel guest;
    private ServerSocketChannel server;

    @BeforeEach
    void connect() throws Exception {
        Path sock = dir.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        Service service = service(dir);
        Thread.ofVirtual().start(() -> {
            try {
                SocketChannel s = server.accept();
                guest = Channel.guest(Channels.newInputStream(s), Channels.newOutputStream(s), ChannelOptions.defaults("agent-test"), service);
                guest.start();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock));
        host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("daemon-test"), null);
        host.connect();
    }

    @AfterEach
    void close() throws IOException {
        host.close();
        server.close();
    }

    private JsonNode ask(String request) throws Exception {
        try (Stream s = host.open(request.getBytes(StandardCharsets.UTF_8))) {
            return JSON.readTree(new String(s.input().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** What a command printed and how it ended. */
    record Ran(String stdout, String stderr, int exit, String error, long pid, int signal) {
    }

    private Ran exec(List<String> argv, byte[] stdin) throws Exception {
        return exec(argv, stdin, false);
    }

    /** {@code exitSignal}: the request asks for the signal in EXIT, as bangerd does. */
    private Ran exec(List<String> argv, byte[] stdin, boolean exitSignal) throws Exception {
        String request = JSON.writeValueAsString(exitSignal ? Map.of("op", "exec", "argv", argv, "stdin", stdin != null, Exec.EXIT_SIGNAL_FIELD, true)
                : Map.of("op", "exec", "argv", argv, "stdin", stdin != null));
        try (Stream s = host.open(request.getBytes(StandardCharsets.UTF_8))) {
            if (stdin != null) {
                Thread.ofVirtual().start(() -> {
                    try {
                        OutputStream out = s.output();
                        for (int off = 0; off < stdin.length; off += 60_000) {
                            Records.write(out, Exec.STDIN, stdin, off, Math.min(60_000, stdin.length - off));
                        }
                        Records.write(out, Exec.STDIN_EOF, new byte[0]);
                        out.flush();
                    } catch (IOException e) {
                        // the command ended first
                    }
                });
            }
            return collect(s);
        }
    }

    static Ran collect(Stream s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = -1;
        int signal = -1;
        long pid = -1;
        String error = null;
        Records.Record r;
        while ((r = Records.read(s.input())) != null) {
            switch (r.type()) {
                case Exec.STARTED -> pid = Records.u32(r.payload());
                case Exec.STDOUT -> out.write(r.payload());
                case Exec.STDERR -> err.write(r.payload());
                case Exec.EXIT -> {
                    Exec.Exit e = Exec.Exit.read(r.payload());
                    exit = e.status();
                    signal = e.signal();
                }
                case Exec.ERROR -> error = r.text();
                default -> { }
            }
        }
        return new Ran(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), exit, error, pid, signal);
    }

    @Test
    void healthAndPortsAnswerWithJson() throws Exception {
        JsonNode health = ask("{\"op\":\"health\"}");
        assertThat(health.at("/result/status").asText()).isEqualTo("ok");
        assertThat(health.at("/result/ready").asBoolean()).isFalse();
        JsonNode ports = ask("{\"op\":\"ports\"}");
        JsonNode l = ports.at("/result/listeners/0");
        assertThat(l.path("port").asInt()).isEqualTo(8080);
        assertThat(l.at("/processes/0/command").asText()).contains("java").doesNotContain("\u0000");
        assertThat(ports.at("/result/skipped").asInt()).isEqualTo(1);
    }

    @Test
    void malformedAndUnknownRequestsAreAnsweredWithAnError() throws Exception {
        assertThat(ask("not json").path("error").asText()).contains("not a request");
        assertThat(ask("[1]").path("error").asText()).contains("JSON object");
        assertThat(ask("{\"op\":\"reboot\"}").path("error").asText()).contains("unknown op 'reboot'").contains("identity");
        assertThat(ask("{\"op\":\"exec\",\"argv\":\"ls\"}").path("error").asText()).contains("'argv' must be a list of strings");
        assertThat(ask("{\"op\":\"ready\",\"timeout_ms\":-1}").path("error").asText()).contains("timeout_ms");
    }

    @Test
    void identityAnswersOverTheChannelWithTheStepsResults() throws Exception {
        JsonNode answer = ask(Identity.STAND_IN_REQUEST);
        assertThat(answer.path("ok").asBoolean()).as(answer.toString()).isTrue();
        assertThat(answer.at("/result/network_status").asInt()).isZero();
        assertThat(answer.at("/result/nic").asText()).isEqualTo("eth0");
        JsonNode refused = ask(Identity.STAND_IN_REQUEST.replace("A".repeat(44), "AAAA"));
        assertThat(refused.path("ok").asBoolean()).isFalse();
        assertThat(refused.path("error").asText()).contains("'entropy' must be 32 to 512 bytes");
    }

    @Test
    void readyWaitsForTheMilestoneBoundedByTheTimeout() throws Exception {
        long t0 = System.nanoTime();
        assertThat(ask("{\"op\":\"ready\",\"timeout_ms\":300}").at("/result/ready").asBoolean()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(200);
                Files.createFile(dir.resolve("ready"));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(ask("{\"op\":\"ready\",\"timeout_ms\":20000}").at("/result/ready").asBoolean()).isTrue();
    }

    @Test
    void argvIsExecutedExactlyWithoutAShell() throws Exception {
        Ran r = exec(List.of("sh", "-c", "printf '%s|' \"$0\" \"$1\"", "a b", "$(id)"), null);
        assertThat(r.stdout()).isEqualTo("a b|$(id)|");
        assertThat(r.exit()).isZero();
    }

    @Test
    void aHostThatAsksLearnsWhichSignalEndedTheCommand() throws Exception {
        Ran killed = exec(List.of("sh", "-c", "kill -9 $$"), null, true);
        assertThat(killed.exit()).isEqualTo(137);
        assertThat(killed.signal()).isEqualTo(9);
        Ran terminated = exec(List.of("sh", "-c", "kill -TERM $$"), null, true);
        assertThat(terminated.signal()).isEqualTo(15);
        assertThat(terminated.exit()).isEqualTo(143);
        Ran byItself = exec(List.of("sh", "-c", "exit 137"), null, true);
        assertThat(byItself.exit()).isEqualTo(137);
        assertThat(byItself.signal()).as("exit 137 is no signal").isZero();
    }

    @Test
    void exitStatusesAreTheCommands() throws Exception {
        assertThat(exec(List.of("true"), null).exit()).isZero();
        assertThat(exec(List.of("false"), null).exit()).isEqualTo(1);
        assertThat(exec(List.of("sh", "-c", "exit 7"), null).exit()).isEqualTo(7);
        Ran killed = exec(List.of("sh", "-c", "kill -9 $$"), null);
        assertThat(killed.exit()).as("killed by signal 9").isEqualTo(137);
        assertThat(killed.signal()).as("a host that did not ask gets the 4-byte EXIT of before").isZero();
        Ran missing = exec(List.of("no-such-command-banger"), null);
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.stderr()).contains("no-such-command-banger").contains("No such file");
        Path notExecutable = Files.writeString(dir.resolve("not-executable"), "#!/bin/sh\necho never\n");
        Ran denied = exec(List.of(notExecutable.toString()), null);
        assertThat(denied.exit()).as("as a shell reports a file it cannot execute").isEqualTo(126);
        assertThat(denied.stderr()).contains("Permission denied");
    }

    @Test
    void aWorkingDirectoryThatIsNotThereIsRefusedBeforeAnythingRuns() throws Exception {
        String request = JSON.writeValueAsString(Map.of("op", "exec", "argv", List.of("true"), "cwd", "/no/such/dir"));
        try (Stream s = host.open(request.getBytes(StandardCharsets.UTF_8))) {
            Ran r = collect(s);
            assertThat(r.pid()).as("nothing started").isEqualTo(-1);
            assertThat(r.error()).contains("no directory \"/no/such/dir\"");
        }
    }

    @Test
    void stdoutAndStderrStaySeparateAndStdinStreamsThrough() throws Exception {
        Ran both = exec(List.of("sh", "-c", "echo out; echo err >&2"), null);
        assertThat(both.stdout()).isEqualTo("out\n");
        assertThat(both.stderr()).isEqualTo("err\n");
        byte[] data = new byte[3 * 1024 * 1024];
        new java.util.Random(42).nextBytes(data);
        Ran hashed = exec(List.of("sha256sum"), data);
        assertThat(hashed.stdout()).startsWith(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
    }

    @Test
    void whenTheHostGoesAwayTheCommandsGroupIsHungUp() throws Exception {
        String request = JSON.writeValueAsString(Map.of("op", "exec", "argv", List.of("sh", "-c", "sleep 300 & sleep 300")));
        Stream s = host.open(request.getBytes(StandardCharsets.UTF_8));
        Records.Record started = Records.read(s.input());
        assertThat(started.type()).isEqualTo(Exec.STARTED);
        long pid = Records.u32(started.payload());
        assertThat(ProcessHandle.of(pid)).isPresent();
        List<ProcessHandle> group = ProcessHandle.of(pid).orElseThrow().descendants().toList();
        host.close("the daemon went away");
        assertThat(await(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true))).as("the command").isTrue();
        assertThat(await(() -> group.stream().noneMatch(ProcessHandle::isAlive))).as("what it started in its group").isTrue();
    }

    @Test
    void backgroundChildrenOfACommandThatExitsKeepRunning() throws Exception {
        Path pidFile = dir.resolve("bg.pid");
        Ran r = exec(List.of("sh", "-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $! > " + pidFile), null);
        assertThat(r.exit()).isZero();
        long bg = Long.parseLong(Files.readString(pidFile).strip());
        try {
            Thread.sleep(500);
            assertThat(ProcessHandle.of(bg).map(ProcessHandle::isAlive)).hasValue(true);
        } finally {
            ProcessHandle.of(bg).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void overTcpOnlyTheGatewayWithTheTokenGetsAChannel() throws Exception {
        AtomicReference<InetAddress> gateway = new AtomicReference<>(InetAddress.getLoopbackAddress());
        AtomicReference<Optional<String>> token = new AtomicReference<>(Optional.empty());
        Transports transports = new Transports(service(dir));
        Transports.TcpAccess access = new Transports.TcpAccess() {
            @Override
            public Optional<String> token() {
                return token.get();
            }

            @Override
            public Optional<InetAddress> gateway() {
                return Optional.of(gateway.get());
            }
        };
        ServerSocket listening = new ServerSocket(0);
        int port = listening.getLocalPort();
        Thread server = Thread.ofVirtual().start(() -> {
            try {
                transports.serveTcp(listening, access);
            } catch (IOException e) {
                // the test is over
            }
        });
        try {
            waitForPort(port);
            assertThat(tcpHealth(port, "")).as("no token written yet: refused").isFalse();
            token.set(Optional.of("s3cret-token-0123"));
            assertThat(tcpHealth(port, "s3cret-token-0123")).as("gateway and token (read at each connection)").isTrue();
            assertThat(tcpHealth(port, "wrong")).as("a wrong token").isFalse();
            gateway.set(InetAddress.getByName("10.255.255.1"));
            assertThat(tcpHealth(port, "s3cret-token-0123")).as("not from the gateway").isFalse();
        } finally {
            listening.close();
            server.join(5000);
        }
        assertThat(server.isAlive()).as("serveTcp returns once its socket is closed").isFalse();
    }

    private static boolean tcpHealth(int port, String token) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(("TOKEN " + token + "\n").getBytes(StandardCharsets.UTF_8));
            Channel c = Channel.host(s.getInputStream(), s.getOutputStream(),
                    ChannelOptions.defaults("daemon-test").withHandshakeTimeout(Duration.ofSeconds(2)), null);
            try {
                c.connect();
            } catch (IOException e) {
                return false;
            }
            try (Stream st = c.open("{\"op\":\"health\"}".getBytes(StandardCharsets.UTF_8))) {
                return JSON.readTree(st.input().readAllBytes()).at("/result/status").asText().equals("ok");
            } finally {
                c.close();
            }
        }
    }

    @Test
    void findsTheDefaultGatewayInTheKernelsRouteTable() {
        String table = """
                Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
                eth0\t0000FEA9\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
                eth0\t00000000\t01001DAC\t0003\t0\t0\t0\t00000000\t0\t0\t0
                eth0\t00001DAC\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
                """;
        assertThat(Routes.defaultGateway(table)).map(InetAddress::getHostAddress).contains("172.29.0.1");
        assertThat(Routes.defaultGateway("Iface\tDestination\n")).isEmpty();
    }

    @Test
    void theSerialPortIsFoundByItsNameInSys() throws IOException {
        Path sys = Files.createDirectories(dir.resolve("virtio-ports"));
        Files.createDirectories(sys.resolve("vport0p1"));
        Files.writeString(sys.resolve("vport0p1").resolve("name"), "org.qemu.guest_agent.0\n");
        Files.createDirectories(sys.resolve("vport0p2"));
        Files.writeString(sys.resolve("vport0p2").resolve("name"), Transports.SERIAL_PORT + "\n");
        assertThat(Transports.serialPort(sys, Transports.SERIAL_PORT)).contains(Path.of("/dev/vport0p2"));
        assertThat(Transports.serialPort(dir.resolve("none"), Transports.SERIAL_PORT)).isEmpty();
    }

    static boolean await(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (c.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static void waitForPort(int port) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(25);
            }
        }
        throw new AssertionError("agent did not listen on " + port);
    }
}
