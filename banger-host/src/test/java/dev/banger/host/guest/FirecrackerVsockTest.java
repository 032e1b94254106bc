package dev.banger.host.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Firecracker vsock handshake against a local Unix-socket peer that speaks it as Firecracker does:
 * read "CONNECT <port>", answer "OK <n>" and relay, or close when the guest port is not listening.
 */
class FirecrackerVsockTest {
    @TempDir
    Path dir;

    private Path peer(BiConsumer<String, SocketChannel> behaviour) throws IOException {
        Path sock = dir.resolve("v.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        Thread.ofVirtual().start(() -> {
            try (server; SocketChannel c = server.accept()) {
                String line = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.US_ASCII)).readLine();
                behaviour.accept(line, c);
            } catch (IOException e) {
                // test over
            }
        });
        return sock;
    }

    private static void write(SocketChannel c, String s) {
        try {
            OutputStream out = Channels.newOutputStream(c);
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void handshakeThenTheStreamIsTheGuestConnection() throws IOException {
        AtomicReference<String> asked = new AtomicReference<>();
        Path sock = peer((line, c) -> {
            asked.set(line);
            write(c, "OK 1073741824\n{\"ok\":true}\n");
        });
        try (AgentConnection v = FirecrackerVsock.connect(sock, 1024, Duration.ofSeconds(5))) {
            assertThat(dev.banger.channel.Lines.readBounded(v.input(), 1024)).isEqualTo("{\"ok\":true}");
        }
        assertThat(asked.get()).isEqualTo("CONNECT 1024");
    }

    @Test
    void aGuestPortNobodyListensOnIsAClearError() throws IOException {
        Path sock = peer((line, c) -> { }); // Firecracker closes the connection
        assertThatThrownBy(() -> FirecrackerVsock.connect(sock, 1024, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                .hasMessageContaining("did not accept vsock port 1024").hasMessageContaining("nothing listens");
    }

    @Test
    void aWrongOrOversizedHandshakeIsRefused() throws IOException {
        Path sock = peer((line, c) -> write(c, "NOPE\u001b[2J\n"));
        assertThatThrownBy(() -> FirecrackerVsock.connect(sock, 1024, Duration.ofSeconds(5)))
                .hasMessageContaining("answered 'NOPE?[2J'");
        Path sock2 = dir.resolve("v.sock");
        java.nio.file.Files.delete(sock2);
        Path flood = peer((line, c) -> write(c, "OK " + "9".repeat(500) + "\n"));
        assertThatThrownBy(() -> FirecrackerVsock.connect(flood, 1024, Duration.ofSeconds(5))).isInstanceOf(BangerException.class);
    }

    @Test
    void aPeerThatNeverAnswersCostsTheTimeout() throws IOException {
        Path sock = peer((line, c) -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> FirecrackerVsock.connect(sock, 1024, Duration.ofMillis(500)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }
}
