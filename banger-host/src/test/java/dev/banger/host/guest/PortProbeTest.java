package dev.banger.host.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.ports.PortRows.Scheme;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PortProbe against real servers on loopback: each kind the classification must tell apart. */
class PortProbeTest {
    private static final Duration STEP = Duration.ofMillis(700);
    private static final String OK = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static SSLContext tls;
    private final List<ServerSocket> servers = new ArrayList<>();

    @BeforeAll
    static void selfSignedCertificate(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("test.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "test", "-keyalg", "EC", "-dname", "CN=demo.vm", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
    }

    @AfterEach
    void stop() throws IOException {
        for (ServerSocket s : servers) {
            s.close();
        }
    }

    private int serve(ServerSocket server, Consumer<Socket> each) {
        servers.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            each.accept(s);
                        } catch (IOException e) {
                            // client gone
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    private static ServerSocket plain() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    private static void answerHttp(Socket s) {
        try {
            s.getInputStream().read(new byte[1024]);
            s.getOutputStream().write(OK.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // client gone
        }
    }

    private static Scheme classify(int port) {
        return PortProbe.classify("127.0.0.1", port, "demo.vm", STEP);
    }

    @Test
    void plainHttpIsHttp() throws IOException {
        assertThat(classify(serve(plain(), PortProbeTest::answerHttp))).isEqualTo(Scheme.HTTP);
    }

    @Test
    void httpsWithASelfSignedCertificateIsHttps() throws IOException {
        SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        assertThat(classify(serve(server, PortProbeTest::answerHttp))).isEqualTo(Scheme.HTTPS);
    }

    @Test
    void aTlsServerThatAnswersCleartextWithAnHttp400IsStillHttps() throws IOException {
        int port = serve(plain(), s -> {
            try {
                PushbackInputStream in = new PushbackInputStream(s.getInputStream(), 1);
                int first = in.read();
                if (first == 0x16) { // a TLS handshake record: speak TLS on what was read so far
                    in.unread(first);
                    SSLSocket t = (SSLSocket) ((SSLSocketFactory) tls.getSocketFactory()).createSocket(s, in, true);
                    t.setUseClientMode(false);
                    answerHttp(t);
                } else {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\nThe plain HTTP request was sent to HTTPS port"
                            .getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // client gone
            }
        });
        assertThat(classify(port)).isEqualTo(Scheme.HTTPS);
    }

    @Test
    void aRawEchoServerIsTcp() throws IOException {
        int port = serve(plain(), s -> {
            try {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] b = new byte[256];
                int n;
                while ((n = in.read(b)) > 0) {
                    out.write(b, 0, n);
                }
            } catch (IOException e) {
                // client gone
            }
        });
        assertThat(classify(port)).isEqualTo(Scheme.TCP);
    }

    @Test
    void aServerThatAcceptsAndNeverAnswersIsTcpWithinTwoTimeouts() throws IOException {
        int port = serve(plain(), s -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();
        assertThat(classify(port)).isEqualTo(Scheme.TCP);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(STEP.multipliedBy(6));
    }

    @Test
    void aClosedPortIsTcp() throws IOException {
        int port;
        try (ServerSocket s = plain()) {
            port = s.getLocalPort();
        }
        assertThat(classify(port)).isEqualTo(Scheme.TCP);
    }
}
