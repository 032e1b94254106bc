package dev.banger.host.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** AgentClient against local servers that play a good agent and hostile ones. */
class AgentClientTest {
    private static int serveOnce(ServerSocket server, Consumer<Socket> conversation) {
        Thread.ofVirtual().start(() -> {
            try (server; Socket s = server.accept()) {
                conversation.accept(s);
            } catch (IOException e) {
                // done
            }
        });
        return server.getLocalPort();
    }

    private static ServerSocket server() throws IOException {
        return new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    }

    @Test
    void oneLineEachWay() throws IOException {
        int port = serveOnce(server(), s -> {
            try {
                byte[] req = new byte[64];
                int n = s.getInputStream().read(req);
                assertThat(new String(req, 0, n, StandardCharsets.UTF_8)).isEqualTo("{\"method\":\"health\"}\n");
                s.getOutputStream().write("{\"ok\":true}\nignored".getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(AgentClient.call("127.0.0.1", port, "{\"method\":\"health\"}", Duration.ofSeconds(5))).isEqualTo("{\"ok\":true}");
    }

    @Test
    void anAgentThatNeverAnswersCostsTheTimeoutAndNoMore() throws IOException {
        int port = serveOnce(server(), s -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> AgentClient.call("127.0.0.1", port, "{}", Duration.ofMillis(500)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                .hasMessageContaining("did not answer within 500 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anAgentThatFloodsIsCutOff() throws IOException {
        int port = serveOnce(server(), s -> {
            try {
                OutputStream out = s.getOutputStream();
                byte[] junk = new byte[64 * 1024];
                java.util.Arrays.fill(junk, (byte) 'x');
                for (int i = 0; i < 200; i++) {
                    out.write(junk);
                }
            } catch (IOException e) {
                // the client hung up: expected
            }
        });
        assertThatThrownBy(() -> AgentClient.call("127.0.0.1", port, "{}", Duration.ofSeconds(20)))
                .hasMessageContaining("exceeds 4 MiB");
    }

    @Test
    void aVsockPeerThatIsNotThereIsAClearErrorWithinTheTimeout() {
        // CID 4242 names no VM on this host: socat's connect fails (or times out); either way the caller
        // gets AGENT_UNAVAILABLE, bounded by the timeout.
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> AgentClient.callVsock(4242, 1024, "{}", Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                .hasMessageContaining("vsock 4242:1024");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void nobodyListeningIsAClearError() throws IOException {
        int port;
        try (ServerSocket s = server()) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> AgentClient.call("127.0.0.1", port, "{}", Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                .hasMessageContaining("cannot reach the guest agent");
    }
}
