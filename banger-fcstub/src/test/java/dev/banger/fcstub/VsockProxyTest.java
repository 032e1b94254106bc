package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Firecracker's host-initiated vsock handshake, forwarded where the route says (TCP, or a Unix socket). */
class VsockProxyTest {
    @TempDir
    Path dir;

    @Test
    void connectIsForwardedAndBytesFlowBothWays() throws Exception {
        try (ServerSocket guest = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             VsockProxy proxy = VsockProxy.bind(dir.resolve("v.sock"))) {
            proxy.serve(port -> Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            Thread echo = Thread.ofVirtual().start(() -> {
                try (Socket s = guest.accept()) {
                    byte[] got = s.getInputStream().readNBytes(5);
                    s.getOutputStream().write(("echo:" + new String(got, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(proxy.path()));
                OutputStream out = Channels.newOutputStream(c);
                // the first bytes ride along with the handshake, as a client may send them
                out.write(("CONNECT " + guest.getLocalPort() + "\nhello").getBytes(StandardCharsets.US_ASCII));
                InputStream in = Channels.newInputStream(c);
                String ok = readLine(in);
                assertThat(ok).matches("OK [0-9]+");
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("echo:hello");
            }
            echo.join();
        }
        assertThat(dir.resolve("v.sock")).doesNotExist();
    }

    @Test
    void aPortRoutedToAUnixSocketReachesIt() throws Exception {
        Path serial = dir.resolve("agent.sock");
        try (ServerSocketChannel guest = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             VsockProxy proxy = VsockProxy.bind(dir.resolve("v.sock"))) {
            guest.bind(UnixDomainSocketAddress.of(serial));
            proxy.serve(port -> port == 1024 ? Optional.of(UnixDomainSocketAddress.of(serial)) : Optional.empty());
            Thread echo = Thread.ofVirtual().start(() -> {
                try (SocketChannel s = guest.accept()) {
                    byte[] got = Channels.newInputStream(s).readNBytes(4);
                    Channels.newOutputStream(s).write(("unix:" + new String(got, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(proxy.path()));
                Channels.newOutputStream(c).write("CONNECT 1024\nping".getBytes(StandardCharsets.US_ASCII));
                InputStream in = Channels.newInputStream(c);
                assertThat(readLine(in)).as("Firecracker's host-side ports start at 2^30").isEqualTo("OK " + (1 << 30));
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("unix:ping");
            }
            echo.join();
            assertThat(exchange(proxy.path(), "CONNECT 1025\n")).as("a port with no route").isEmpty();
        }
    }

    @Test
    void nothingListeningClosesWithoutOk() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (VsockProxy proxy = VsockProxy.bind(dir.resolve("v.sock"))) {
            proxy.serve(port -> Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            assertThat(exchange(proxy.path(), "CONNECT " + closedPort + "\n")).isEmpty();
        }
    }

    @Test
    void noGuestAddressOrNoHandshakeCloses() throws Exception {
        try (ServerSocket guest = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             VsockProxy none = VsockProxy.bind(dir.resolve("none.sock"));
             VsockProxy some = VsockProxy.bind(dir.resolve("some.sock"))) {
            none.serve(port -> Optional.empty());
            some.serve(port -> Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            assertThat(exchange(none.path(), "CONNECT " + guest.getLocalPort() + "\n")).isEmpty();
            assertThat(exchange(some.path(), "HELLO " + guest.getLocalPort() + "\n")).isEmpty();
            assertThat(exchange(some.path(), "CONNECT 70000\n")).isEmpty();
        }
    }

    @Test
    void handshakeParsing() {
        assertThat(VsockProxy.parseConnect("CONNECT 52")).hasValue(52);
        assertThat(VsockProxy.parseConnect("CONNECT 0")).isEmpty();
        assertThat(VsockProxy.parseConnect("CONNECT 65536")).isEmpty();
        assertThat(VsockProxy.parseConnect("connect 52")).isEmpty();
        assertThat(VsockProxy.parseConnect("CONNECT 52 ")).isEmpty();
        assertThat(VsockProxy.parseConnect("CONNECT -1")).isEqualTo(OptionalInt.empty());
    }

    @Test
    void bindRefusesAnExistingPath() throws Exception {
        try (VsockProxy first = VsockProxy.bind(dir.resolve("v.sock"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> VsockProxy.bind(first.path()))
                    .isInstanceOf(Fault.class).hasMessageContaining("Error binding");
        }
    }

    /** Sends {@code text} and returns all the proxy answers before it closes. */
    private static String exchange(Path sock, String text) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
            c.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            sb.append((char) b);
        }
        return sb.toString();
    }
}
