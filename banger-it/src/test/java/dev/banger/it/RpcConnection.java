package dev.banger.it;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One raw JSON-RPC 2.0 connection to bangerd's Unix socket (one JSON object per line), for tests that
 * must say things the CLI never would. Every read and write has a deadline, so a daemon that hangs
 * fails the test instead of hanging it.
 */
final class RpcConnection implements AutoCloseable {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicLong IDS = new AtomicLong(1000);

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

    private RpcConnection(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
        in.flip();
    }

    static RpcConnection open(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            Selector selector = Selector.open();
            return new RpcConnection(ch, selector);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + socket, e);
        }
    }

    /** Calls {@code method} with {@code params} (JSON text, or null for none) and returns the whole response. */
    JsonNode call(String method, String paramsJson) {
        long id = IDS.incrementAndGet();
        ObjectNode request = BangerHome.JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
        if (paramsJson != null) {
            request.set("params", parse(paramsJson));
        }
        sendLine(request.toString());
        JsonNode response = readResponse(DEFAULT_TIMEOUT);
        if (response == null) {
            throw new AssertionError("bangerd closed the connection without answering " + request);
        }
        if (!response.path("id").isIntegralNumber() || response.get("id").asLong() != id) {
            throw new AssertionError("response to " + request + " carries another id: " + response);
        }
        return response;
    }

    /** Sends {@code line} and a newline. */
    void sendLine(String line) {
        send((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Sends raw bytes, exactly as given. */
    void send(byte[] bytes) {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
        try {
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "writing " + bytes.length + " bytes");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to bangerd", e);
        }
    }

    /** The next response line parsed as JSON, or null when the daemon closed the connection. */
    JsonNode readResponse(Duration timeout) {
        String line = readLine(timeout);
        return line == null ? null : parse(line);
    }

    /** The next line without its newline, or null at end of stream (or a reset after the last line). */
    String readLine(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (true) {
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b == '\n') {
                        return line.toString(StandardCharsets.UTF_8);
                    }
                    line.write(b);
                }
                in.clear();
                int n;
                try {
                    n = channel.read(in);
                } finally {
                    in.flip();
                }
                if (n < 0) {
                    return null;
                }
                if (n == 0) {
                    await(SelectionKey.OP_READ, deadline, "reading a line (got so far: " + abbreviate(line) + ")");
                }
            }
        } catch (IOException e) {
            if (isReset(e)) {
                return null;
            }
            throw new UncheckedIOException("reading from bangerd", e);
        }
    }

    /** Whether the daemon closes the connection within {@code timeout} (end of stream or a reset); data read meanwhile is discarded. */
    boolean closedByPeerWithin(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                in.clear();
                int n;
                try {
                    n = channel.read(in);
                } finally {
                    in.clear().flip();
                }
                if (n < 0) {
                    return true;
                }
                if (n == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    select(SelectionKey.OP_READ, Math.max(1, left / 1_000_000));
                }
            }
        } catch (IOException e) {
            return isReset(e);
        }
    }

    private static boolean isReset(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("reset") || m.contains("Broken pipe");
    }

    private void await(int op, long deadline, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0 || select(op, Math.max(1, left / 1_000_000)) == 0 && System.nanoTime() > deadline) {
            throw new AssertionError("timed out " + what + " on the bangerd socket");
        }
    }

    private int select(int op, long millis) throws IOException {
        SelectionKey key = channel.register(selector, op);
        try {
            return selector.select(millis);
        } finally {
            key.interestOps(0);
            selector.selectedKeys().clear();
        }
    }

    static JsonNode parse(String json) {
        try {
            return BangerHome.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static String abbreviate(ByteArrayOutputStream b) {
        String s = b.toString(StandardCharsets.UTF_8);
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
