package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.channel.Channel;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's end of published ports, served by a real {@link Service} over a real channel, to servers on this host's loopback. */
class ForwardTest {
    @TempDir
    Path dir;
    private AgentLink link;
    private Channel host;

    @BeforeEach
    void connect() throws Exception {
        link = new AgentLink(dir);
        host = link.connect();
    }

    @AfterEach
    void close() throws IOException {
        link.close();
    }

    private Stream open(String json) throws Exception {
        return host.open(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void connectRelaysBothWaysToALoopbackServiceAndPassesEof() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    byte[] request = s.getInputStream().readAllBytes(); // to the client's EOF: the half-close passed on
                    s.getOutputStream().write(("got " + new String(request, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Stream s = open("{\"op\":\"connect\",\"port\":" + server.getLocalPort() + "}");
            s.output().write("hello".getBytes(StandardCharsets.UTF_8));
            s.output().flush();
            s.closeOutput();
            assertThat(new String(s.input().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("got hello");
            Optional<StreamEnd> end = s.awaitEnd(Duration.ofSeconds(10));
            assertThat(end).hasValueSatisfying(e -> assertThat(e.status()).isZero());
        }
    }

    @Test
    void connectToAPortNobodyListensOnEndsTheStreamWithTheReason() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            free = probe.getLocalPort();
        }
        Stream s = open("{\"op\":\"connect\",\"port\":" + free + "}");
        assertThat(s.input().readAllBytes()).isEmpty();
        Optional<StreamEnd> end = s.awaitEnd(Duration.ofSeconds(10));
        assertThat(end).hasValueSatisfying(e -> {
            assertThat(e.status()).isEqualTo(1);
            assertThat(e.reason()).contains("nothing accepts connections on port " + free);
        });
    }

    @Test
    void aBadPortIsRefused() throws Exception {
        Stream s = open("{\"op\":\"connect\",\"port\":70000}");
        assertThat(new String(s.input().readAllBytes(), StandardCharsets.UTF_8)).contains("\"ok\":false").contains("port");
    }

    @Test
    void udpCarriesFramedDatagramsBothWays() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            Thread.ofVirtual().start(() -> {
                try {
                    byte[] buf = new byte[2048];
                    for (int i = 0; i < 2; i++) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        echo.receive(p);
                        byte[] reply = ("echo:" + new String(buf, 0, p.getLength(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                        echo.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Stream s = open("{\"op\":\"udp\",\"port\":" + echo.getLocalPort() + "}");
            DataInputStream in = new DataInputStream(s.input());
            for (String m : new String[] {"one", "two"}) {
                frame(s.output(), m.getBytes(StandardCharsets.UTF_8));
                int n = in.readUnsignedShort();
                byte[] got = in.readNBytes(n);
                assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("echo:" + m);
            }
            s.close(0, "done");
        }
    }

    @Test
    void theListenersWatchReportsANewListenerAndItsEnd() throws Exception {
        Stream s = open("{\"op\":\"listeners\"}");
        InputStream in = s.input();
        assertThat(Lines.readBounded(in, 65536)).startsWith("{\"tcp\":[");
        int port;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = server.getLocalPort();
            assertThat(awaitLine(in, line -> line.matches(".*[\\[,]" + port + "[,\\]].*"))).as("the new listener is reported").isTrue();
        }
        assertThat(awaitLine(in, line -> !line.matches(".*[\\[,]" + port + "[,\\]].*"))).as("and its end").isTrue();
        s.close(0, "done");
    }

    private static boolean awaitLine(InputStream in, java.util.function.Predicate<String> wanted) throws IOException {
        for (int i = 0; i < 20; i++) {
            String line = Lines.readBounded(in, 65536);
            if (line == null) {
                return false;
            }
            if (wanted.test(line)) {
                return true;
            }
        }
        return false;
    }

    private static void frame(OutputStream out, byte[] payload) throws IOException {
        out.write(new byte[] {(byte) (payload.length >> 8), (byte) payload.length});
        out.write(payload);
        out.flush();
    }
}
