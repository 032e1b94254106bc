package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent on a virtio-serial port, against a fake port with the kernel's semantics (reads end at once
 * while no host is connected and wake when it goes; writes wait for a host): hosts come and go on the
 * one open port, and no byte of one session reaches another.
 */
@Timeout(60)
class SerialLineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** virtio_console's port, as the guest sees it, with a host that can connect and go away. */
    static final class FakePort {
        private final Object lock = new Object();
        private final ArrayDeque<Byte> toGuest = new ArrayDeque<>();
        private OutputStream toHost; // null: no host connected

        final InputStream guestIn = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                synchronized (lock) {
                    while (true) {
                        if (!toGuest.isEmpty()) {
                            int n = 0;
                            while (n < len && !toGuest.isEmpty()) {
                                b[off + n++] = toGuest.poll();
                            }
                            return n;
                        }
                        if (toHost == null) {
                            return -1; // read(2) returns 0: no host
                        }
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                    }
                }
            }
        };

        final OutputStream guestOut = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                synchronized (lock) {
                    while (toHost == null) { // the kernel blocks a write until a host is there
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                    }
                    toHost.write(b, off, len);
                    toHost.flush();
                }
            }
        };

        /** A host connects: its input (what the guest writes) and output (what reaches the guest). */
        Channel connectHost() throws Exception {
            Pipe pipe = Pipe.open();
            InputStream hostIn = Channels.newInputStream(pipe.source());
            OutputStream hostOut = new OutputStream() {
                @Override
                public void write(int b) {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (lock) {
                        for (int i = 0; i < len; i++) {
                            toGuest.add(b[off + i]);
                        }
                        lock.notifyAll();
                    }
                }
            };
            synchronized (lock) {
                toHost = Channels.newOutputStream(pipe.sink());
                lock.notifyAll();
            }
            Channel host = Channel.host(hostIn, hostOut, ChannelOptions.defaults("daemon-test").withHandshakeTimeout(Duration.ofSeconds(5)), null);
            host.connect();
            return host;
        }

        /** A host connects and says nothing yet. */
        void connectHostWithoutHandshake() throws IOException {
            synchronized (lock) {
                toHost = OutputStream.nullOutputStream();
                lock.notifyAll();
            }
        }

        /** The host goes away: the guest's waiting read wakes with an end of file. */
        void disconnectHost() throws IOException {
            synchronized (lock) {
                toHost.close();
                toHost = null;
                toGuest.clear();
                lock.notifyAll();
            }
        }

        void hostWrites(String text) {
            synchronized (lock) {
                for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
                    toGuest.add(b);
                }
                lock.notifyAll();
            }
        }
    }

    private static String health(Channel host) throws Exception {
        try (Stream s = host.open("{\"op\":\"health\"}".getBytes(StandardCharsets.UTF_8))) {
            return JSON.readTree(s.input().readAllBytes()).at("/result/status").asText();
        }
    }

    @Test
    void hostsComeAndGoOnTheOneOpenPort() throws Exception {
        FakePort port = new FakePort();
        Transports transports = new Transports(ServiceTest.service(dir));
        Thread agent = Thread.ofPlatform().daemon().start(() -> {
            try {
                transports.serveSerial(new SerialLine(port.guestIn, port.guestOut));
            } catch (InterruptedException e) {
                // the test is over
            }
        });
        try {
            Thread.sleep(120); // the agent polls a port with no host
            for (int i = 0; i < 5; i++) {
                Channel host = port.connectHost();
                assertThat(health(host)).as("host %d", i).isEqualTo("ok");
                assertThat(health(host)).as("host %d, a second request on its channel", i).isEqualTo("ok");
                port.disconnectHost();
                host.closed().get(5, TimeUnit.SECONDS);
            }
        } finally {
            agent.interrupt();
        }
    }

    @Test
    void aRetiredSessionsWaitingReadHandsItsBytesToTheNext() throws Exception {
        FakePort port = new FakePort();
        port.connectHostWithoutHandshake();
        SerialLine line = new SerialLine(port.guestIn, port.guestOut);
        SerialLine.Session old = line.session();
        CompletableFuture<Integer> oldRead = CompletableFuture.supplyAsync(() -> {
            try {
                return old.read(new byte[16], 0, 16);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().start(r));
        Thread.sleep(100); // the old session's read waits in the "kernel"
        old.retire();
        SerialLine.Session next = line.session();
        CompletableFuture<String> nextRead = CompletableFuture.supplyAsync(() -> {
            try {
                byte[] b = new byte[16];
                int n = next.read(b, 0, 16);
                return new String(b, 0, n, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().start(r));
        port.hostWrites("HELLO");
        assertThat(oldRead.get(5, TimeUnit.SECONDS)).as("the retired session ends").isEqualTo(-1);
        assertThat(nextRead.get(5, TimeUnit.SECONDS)).as("its bytes went to the next").isEqualTo("HELLO");
        assertThat(old.read(new byte[4], 0, 4)).isEqualTo(-1);
    }
}
