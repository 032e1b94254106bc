package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AgentTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ports over a fixed ss output, with real command lines from /proc (this JVM's pid). */
    private static final class FixedPorts extends Ports {
        @Override
        String runSs() {
            long me = ProcessHandle.current().pid();
            return "tcp LISTEN 0 5 0.0.0.0:8080 0.0.0.0:* users:((\"java\",pid=" + me + ",fd=3))\nnonsense\n";
        }
    }

    private final Agent agent = new Agent(Optional.of("s3cret-token-0123"), () -> Optional.of(InetAddress.getLoopbackAddress()), new FixedPorts());

    @Test
    void answersHealthVersionAndPortsWithTheToken() {
        assertThat(ask(agent, "{\"token\":\"s3cret-token-0123\",\"method\":\"health\"}").path("result").path("status").asText()).isEqualTo("ok");
        JsonNode ports = ask(agent, "{\"token\":\"s3cret-token-0123\",\"method\":\"ports\"}");
        assertThat(ports.path("ok").asBoolean()).isTrue();
        JsonNode l = ports.at("/result/listeners/0");
        assertThat(l.path("proto").asText()).isEqualTo("tcp");
        assertThat(l.path("port").asInt()).isEqualTo(8080);
        assertThat(l.at("/processes/0/name").asText()).isEqualTo("java");
        assertThat(l.at("/processes/0/command").asText()).contains("java").doesNotContain("\u0000");
        assertThat(ports.at("/result/skipped").asInt()).isEqualTo(1);
    }

    @Test
    void refusesAWrongTokenMalformedRequestsAndUnknownMethods() {
        assertThat(ask(agent, "{\"token\":\"wrong\",\"method\":\"ports\"}").path("error").asText()).contains("token");
        assertThat(ask(agent, "{\"method\":\"ports\"}").path("error").asText()).contains("token");
        assertThat(ask(agent, "not json").path("ok").asBoolean()).isFalse();
        assertThat(ask(agent, "[1,2]").path("error").asText()).contains("object");
        assertThat(ask(agent, "{\"token\":\"s3cret-token-0123\",\"method\":\"reboot\"}").path("error").asText()).contains("unknown method");
    }

    @Test
    void overTcpOnlyTheGatewayIsAnsweredAndLongLinesAreRefused() throws Exception {
        AtomicReference<InetAddress> gateway = new AtomicReference<>(InetAddress.getLoopbackAddress());
        Agent a = new Agent(Optional.empty(), () -> Optional.of(gateway.get()), new FixedPorts());
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        int p = port;
        Thread server = Thread.ofVirtual().start(() -> {
            try {
                a.serve(p);
            } catch (Exception e) {
                // closed when the test ends
            }
        });
        try {
            waitForPort(port);
            assertThat(ask(port, "{\"method\":\"version\"}\n").path("ok").asBoolean()).isTrue();
            assertThat(ask(port, "x".repeat(Agent.MAX_REQUEST_BYTES + 10) + "\n").path("error").asText()).contains("one JSON line");
            gateway.set(InetAddress.getByName("10.255.255.1"));
            assertThat(ask(port, "{\"method\":\"version\"}\n").path("error").asText()).contains("only the VM's gateway");
        } finally {
            server.interrupt();
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

    /** The agent's answer, read back by Jackson: proof that the hand-written JSON is JSON. */
    private static JsonNode ask(Agent a, String line) {
        try {
            return JSON.readTree(Json.write(a.answer(line)));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode ask(int port, String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return JSON.readTree(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine());
        }
    }

    private static void waitForPort(int port) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(25);
            }
        }
        throw new AssertionError("agent did not listen on " + port);
    }
}
