package dev.banger.host.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scripted QMP peer on a Unix socket, for tests: each accepted connection runs the {@link Script},
 * which reads commands and writes whatever lines the test wants (well-formed or not).
 */
final class FakeQmpServer implements AutoCloseable {
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
            + "\"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}";
    private static final Pattern EXECUTE = Pattern.compile("\"execute\":\"([^\"]+)\"");
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");

    interface Script {
        void run(Peer peer) throws IOException;
    }

    /** One connection as the script sees it. */
    static class Peer {
        private final BufferedReader in;
        private final OutputStream out;

        Peer(SocketChannel ch) {
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            out = Channels.newOutputStream(ch);
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        void sendRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** The next command; null at end of stream. */
        Command read() throws IOException {
            String line = in.readLine();
            if (line == null) {
                return null;
            }
            Matcher e = EXECUTE.matcher(line);
            Matcher i = ID.matcher(line);
            return new Command(e.find() ? e.group(1) : "?", i.find() ? Long.parseLong(i.group(1)) : -1, line);
        }

        /** Greets, accepts capabilities: what every real session starts with. */
        void handshake() throws IOException {
            send(GREETING);
            Command c = read();
            if (c == null || !c.execute().equals("qmp_capabilities")) {
                throw new IOException("expected qmp_capabilities, got " + c);
            }
            send("{\"return\": {}, \"id\": " + c.id() + "}");
        }
    }

    record Command(String execute, long id, String line) {
    }

    private final ServerSocketChannel server;
    private final Path socket;
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    FakeQmpServer(Path socket, Script script) throws IOException {
        this.socket = socket;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel ch = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (ch) {
                            script.run(new RecordingPeer(ch, received));
                        } catch (IOException e) {
                            // the client went away: part of several tests
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    });
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
    }

    Path socket() {
        return socket;
    }

    /** Stops listening but leaves the socket file, like a killed QEMU. */
    void closeKeepingFile() throws IOException, InterruptedException {
        server.close();
        acceptor.interrupt();
        // A close racing a thread blocked in accept() is completed by that thread: wait for it, or the
        // kernel may still accept a connection nobody will serve.
        acceptor.join(java.time.Duration.ofSeconds(5));
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        java.nio.file.Files.deleteIfExists(socket);
        if (!failures.isEmpty()) {
            throw new UncheckedIOException(new IOException("fake QMP script failed", failures.get(0)));
        }
    }

    /** Records every command line the client sent. */
    private static final class RecordingPeer extends Peer {
        private final List<String> received;

        RecordingPeer(SocketChannel ch, List<String> received) {
            super(ch);
            this.received = received;
        }

        @Override
        Command read() throws IOException {
            Command c = super.read();
            if (c != null) {
                received.add(c.line());
            }
            return c;
        }
    }
}
