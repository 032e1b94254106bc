package dev.banger.cli;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.banger.api.BangerException;
import dev.banger.api.ClientJson;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpc;
import dev.banger.api.RpcRequest;
import dev.banger.api.RpcError;
import dev.banger.api.Rpcs;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The CLI's side of the RPC: one connection, one request line, one response line. Starts the daemon
 * first when asked to and none answers.
 */
public final class DaemonClient {
    /** A reply larger than this is not from a sane daemon. */
    private static final int MAX_RESPONSE_CHARS = 64 * 1024 * 1024;
    /** Every method so far answers in well under a second; long operations will stream progress. */
    static final int REPLY_TIMEOUT_SECONDS = Integer.getInteger("banger.replyTimeoutSeconds", 60);

    private final CliContext ctx;
    private final boolean autoStart;
    private final AtomicLong ids = new AtomicLong();

    DaemonClient(CliContext ctx, boolean autoStart) {
        this.ctx = ctx;
        this.autoStart = autoStart;
    }

    /**
     * Runs what every call needs once before a call needs it: the wire codec, a request line written and a reply
     * read (a small record's reader built, as every result's is). Safe on any thread and at any time: a call that
     * comes first does the work itself (and waits for the codec's class initialisation if it is under way).
     */
    static void warmUpJson() {
        ClientJson.request(0, Rpcs.DAEMON_SHUTDOWN, null);
        try {
            parseReply("{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"stopping\":true}}", Params.ShutdownAccepted.class);
        } catch (IOException e) {
            throw new IllegalStateException("banger's own sample reply does not parse", e);
        }
    }

    /** Opens and closes an unconnected Unix socket: the JDK loads and initialises what a connection needs. */
    static void warmUpSocket() {
        try {
            SocketChannel.open(StandardProtocolFamily.UNIX).close();
        } catch (IOException e) {
            // nothing is lost: the call opens its own socket and reports what fails
        }
    }

    /** Builds the reader of {@code rpc}'s result on another thread (jackson-jr caches it for the call). */
    static void prepareFor(Rpc<?, ?> rpc) {
        Thread.ofPlatform().daemon().name("prepare-result").start(() -> ClientJson.prepareReader(rpc.resultType()));
    }

    /** Calls a method that takes no parameters. */
    public <R> R call(Rpc<Void, R> rpc) {
        return call(rpc, null);
    }

    public <P, R> R call(Rpc<P, R> rpc, P params) {
        return call(rpc, params, null);
    }

    /** A long call: progress notifications go to {@code onProgress} (if not null) until the response arrives. */
    public <P, R> R call(Rpc<P, R> rpc, P params, Consumer<Params.Progress> onProgress) {
        return exchange(connect(), rpc, params, onProgress);
    }

    /** Sends one request on {@code channel} (connected, and closed here) and reads its answer. */
    <P, R> R exchange(SocketChannel channel, Rpc<P, R> rpc, P params, Consumer<Params.Progress> onProgress) {
        String method = rpc.name();
        AtomicLong lastHeard = new AtomicLong(System.nanoTime());
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> closeWhenSilent(channel, lastHeard));
        try (channel) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String refusal = null;
            try {
                OutputStream out = Channels.newOutputStream(channel);
                out.write((ClientJson.request(ids.incrementAndGet(), rpc, params) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException writeFailed) {
                // bangerd may have refused the connection (too many connections) and hung up before the
                // request went out: its reason is then waiting to be read, and says more than "Broken pipe".
                refusal = reasonLeftBehind(in);
                if (refusal == null) {
                    throw writeFailed;
                }
            }
            String line = refusal != null ? refusal : readBoundedLine(in);
            // Progress notifications come before the response; each one proves the daemon is alive.
            while (line != null && isProgress(line)) {
                lastHeard.set(System.nanoTime());
                if (onProgress != null) {
                    report(line, onProgress);
                }
                line = readBoundedLine(in);
            }
            if (line == null) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd closed the connection without answering "
                        + method + "; its log (" + ctx.paths().logFile() + ") may say why");
            }
            Reply<R> reply = parseReply(line, rpc.resultType());
            if (reply == null) {
                throw notBanger();
            }
            if (reply.error() != null) {
                throw reply.error().toException();
            }
            return reply.result();
        } catch (UnexpectedReply e) {
            throw new BangerException(ErrorCode.INTERNAL, "unexpected reply to " + method + ": " + e.getMessage()
                    + " (are banger and bangerd the same version? 'banger version' shows both)");
        } catch (IOException e) {
            if (!watchdog.isAlive()) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "no answer to " + method + " within "
                        + REPLY_TIMEOUT_SECONDS + " s from " + ctx.paths().socket()
                        + ": the process holding it is not a responsive bangerd (its log: " + ctx.paths().logFile() + ")");
            }
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "lost the connection to bangerd during " + method + ": " + e.getMessage()
                    + "; its log (" + ctx.paths().logFile() + ") may say why");
        } finally {
            watchdog.interrupt();
        }
    }

    /**
     * A call whose connection carries a conversation after its response ({@code vm.exec}): the result, and
     * the connection's two directions from the first byte after the response. Closing it closes the
     * connection (which, for an exec, hangs the command up unless it was asked to keep running).
     */
    public record Opened<R>(R result, InputStream in, OutputStream out, SocketChannel channel) implements AutoCloseable {
        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Calls {@code rpc} and, once it answers, hands over its connection ({@link Opened}). */
    public <P, R> Opened<R> converse(Rpc<P, R> rpc, P params) {
        SocketChannel channel = connect();
        AtomicLong lastHeard = new AtomicLong(System.nanoTime());
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> closeWhenSilent(channel, lastHeard));
        boolean handedOver = false;
        try {
            InputStream in = Channels.newInputStream(channel);
            OutputStream out = Channels.newOutputStream(channel);
            out.write((ClientJson.request(ids.incrementAndGet(), rpc, params) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            // Unbuffered, a byte at a time: what follows the response line is the conversation's.
            String line = readLineExactly(in);
            watchdog.interrupt();
            if (line == null) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd closed the connection without answering "
                        + rpc.name() + "; its log (" + ctx.paths().logFile() + ") may say why");
            }
            Reply<R> reply = parseReply(line, rpc.resultType());
            if (reply == null) {
                throw notBanger();
            }
            if (reply.error() != null) {
                throw reply.error().toException();
            }
            handedOver = true;
            return new Opened<>(reply.result(), in, out, channel);
        } catch (UnexpectedReply e) {
            throw new BangerException(ErrorCode.INTERNAL, "unexpected reply to " + rpc.name() + ": " + e.getMessage()
                    + " (are banger and bangerd the same version? 'banger version' shows both)");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "lost the connection to bangerd during " + rpc.name() + ": "
                    + e.getMessage() + "; its log (" + ctx.paths().logFile() + ") may say why");
        } finally {
            watchdog.interrupt();
            if (!handedOver) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private String readLineExactly(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= MAX_RESPONSE_CHARS) {
                throw notBanger();
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    /** A reply: its result, or its error. */
    record Reply<R>(R result, RpcError error) {
    }

    /** A reply whose result does not decode to the method's result type: banger and bangerd differ. */
    static final class UnexpectedReply extends IOException {
        UnexpectedReply(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A reply line read into its result's type, or null when the line is not a JSON-RPC 2.0 reply (one result or
     * one error). The envelope is read with Jackson's streaming parser and the result straight into its type: no
     * JSON tree and no record for the envelope.
     *
     * @throws UnexpectedReply when the result does not decode to its type (banger and bangerd differ)
     */
    static <R> Reply<R> parseReply(String line, Class<R> type) throws UnexpectedReply {
        try (JsonParser in = ClientJson.parser(line)) {
            if (in.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            boolean version = false;
            boolean answered = false;
            R result = null;
            RpcError error = null;
            while (in.nextToken() == JsonToken.FIELD_NAME) {
                String field = in.currentName();
                JsonToken value = in.nextToken();
                switch (field) {
                    case "jsonrpc" -> version = value == JsonToken.VALUE_STRING && RpcRequest.VERSION.equals(in.getText());
                    case "result" -> {
                        answered = true;
                        result = readResult(in, type);
                    }
                    case "error" -> {
                        if (value != JsonToken.START_OBJECT) {
                            return null;
                        }
                        try {
                            error = ClientJson.read(in, RpcError.class);
                        } catch (JsonParseException notJson) {
                            throw notJson;
                        } catch (IOException notAnError) {
                            return null; // bangerd's errors always decode
                        }
                    }
                    default -> in.skipChildren();
                }
            }
            return version && answered != (error != null) ? new Reply<>(result, error) : null;
        } catch (UnexpectedReply e) {
            throw e;
        } catch (JsonParseException notJson) {
            return null;
        } catch (IOException e) {
            return null; // a line that ends inside a value, say: not a reply
        }
    }

    private static <R> R readResult(JsonParser in, Class<R> type) throws IOException {
        try {
            return ClientJson.read(in, type);
        } catch (JsonParseException notJson) {
            throw notJson;
        } catch (IOException | RuntimeException e) {
            throw new UnexpectedReply(e.getMessage(), e);
        }
    }

    /** The line a daemon sent before it hung up on us, or null when there is none (or it is only progress). */
    private String reasonLeftBehind(BufferedReader in) {
        try {
            String line = readBoundedLine(in);
            return line == null || isProgress(line) ? null : line;
        } catch (IOException e) {
            return null;
        }
    }

    /** A hung peer must not hang the CLI: closing the channel unblocks the read. Any line heard resets the clock. */
    private static void closeWhenSilent(SocketChannel channel, AtomicLong lastHeard) {
        try {
            while (true) {
                long silentNanos = System.nanoTime() - lastHeard.get();
                long leftMillis = REPLY_TIMEOUT_SECONDS * 1000L - silentNanos / 1_000_000;
                if (leftMillis <= 0) {
                    channel.close();
                    return;
                }
                Thread.sleep(leftMillis);
            }
        } catch (InterruptedException answered) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // closing is all we wanted
        }
    }

    private static final String PROGRESS_PREFIX = "{\"jsonrpc\":\"2.0\",\"method\":\"" + Rpcs.PROGRESS + "\"";

    private static boolean isProgress(String line) {
        return line.startsWith(PROGRESS_PREFIX);
    }

    /** Decodes a progress notification; a malformed one is ignored (progress is advisory). */
    private static void report(String line, Consumer<Params.Progress> onProgress) {
        try (JsonParser in = ClientJson.parser(line)) {
            if (in.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            while (in.nextToken() == JsonToken.FIELD_NAME) {
                String field = in.currentName();
                JsonToken value = in.nextToken();
                if (field.equals("params") && value == JsonToken.START_OBJECT) {
                    onProgress.accept(ClientJson.read(in, Params.Progress.class));
                    return;
                }
                in.skipChildren();
            }
        } catch (IOException | RuntimeException ignored) {
            // not worth failing a build over a progress line
        }
    }

    /** Whether a daemon answers on the socket right now (never starts one). */
    public boolean reachable() {
        try (SocketChannel ignored = open(ctx.paths().socket())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private SocketChannel connect() {
        Path socket = ctx.paths().socket();
        try {
            return open(socket);
        } catch (AccessDeniedException e) {
            throw permissionDenied(socket);
        } catch (IOException firstFailure) {
            if (firstFailure.getMessage() != null && firstFailure.getMessage().contains("Permission denied")) {
                throw permissionDenied(socket);
            }
            if (!autoStart) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd is not running (nothing answers on " + socket
                        + "); any 'banger vm' command starts it");
            }
            new DaemonStarter(ctx).start();
            try {
                return open(socket);
            } catch (IOException e) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd started but " + socket + " refuses connections: " + e.getMessage());
            }
        }
    }

    static SocketChannel open(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            throw new java.nio.file.NoSuchFileException(socket.toString());
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    private BangerException permissionDenied(Path socket) {
        return new BangerException(ErrorCode.PERMISSION_DENIED, "permission denied on " + socket
                + ": run banger as root, or add yourself to the 'banger' group (sudo usermod -aG banger $USER, then log in again)");
    }

    private BangerException notBanger() {
        return new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "the socket " + ctx.paths().socket()
                + " is held by a process that does not speak banger's protocol; stop it or set BANGER_HOME to another directory");
    }

    private String readBoundedLine(BufferedReader in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return sb.toString();
            }
            if (sb.length() >= MAX_RESPONSE_CHARS) {
                throw notBanger();
            }
            sb.append((char) c);
        }
        return sb.isEmpty() ? null : sb.toString();
    }
}
