package dev.banger.daemon.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * One Connect RPC over Jetty: its request message, then either a unary answer or, for a server stream, messages flushed one
 * by one and the end-of-stream envelope. Stream writes are serialized (a keepalive may race the data), and the first
 * failed write marks the call broken so the work behind it stops.
 */
final class ConnectCall {
    /** Request messages are small (SendInput carries at most this much stdin at once). */
    static final int MAX_MESSAGE = 8 << 20;

    private final Request request;
    private final Response response;
    private final boolean streaming;
    private OutputStream out;
    /** Serializes a stream's writes: the data, a keepalive from the timer thread, the end. */
    private final ReentrantLock lock = new ReentrantLock();
    private boolean ended;
    private volatile boolean broken;
    private volatile long lastSent = System.nanoTime();

    ConnectCall(Request request, Response response) {
        this.request = request;
        this.response = response;
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        this.streaming = type != null && type.toLowerCase().startsWith(ConnectWire.STREAM_TYPE);
    }

    boolean streaming() {
        return streaming;
    }

    /** The request message as JSON (an empty unary body is the empty message). */
    JsonNode message() {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body;
            if (streaming) {
                body = ConnectWire.readMessage(in, MAX_MESSAGE);
            } else {
                body = in.readNBytes(MAX_MESSAGE + 1);
                if (body.length > MAX_MESSAGE) {
                    throw new EnvdError("resource_exhausted", "the request message is over " + MAX_MESSAGE + " bytes");
                }
            }
            JsonNode n = body.length == 0 ? EnvdJson.object() : E2bWire.JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw EnvdError.invalid("the request message must be a JSON object");
            }
            return n;
        } catch (EOFException e) {
            throw EnvdError.invalid(e.getMessage());
        } catch (IOException e) {
            throw EnvdError.invalid("the request message is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A unary answer. */
    void reply(ObjectNode message) throws IOException {
        byte[] body = E2bWire.JSON.writeValueAsBytes(message);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, ConnectWire.UNARY_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        try (OutputStream o = Content.Sink.asOutputStream(response)) {
            o.write(body);
        }
        ended = true;
    }

    /** One message of a stream (the response starts with the first). */
    void send(ObjectNode message) throws IOException {
        lock.lock();
        try {
            if (!ended) {
                write(0, E2bWire.JSON.writeValueAsBytes(message));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends {@code message} if the stream has been silent for {@code seconds}; false once the client is gone. Never waits
     * for a write under way (a client that does not read would hold the timer thread that serves every stream).
     */
    boolean keepalive(ObjectNode message, int seconds) {
        if (System.nanoTime() - lastSent < seconds * 1_000_000_000L || !lock.tryLock()) {
            return !broken;
        }
        try {
            if (!ended) {
                write(0, E2bWire.JSON.writeValueAsBytes(message));
            }
        } catch (IOException e) {
            broken = true;
        } finally {
            lock.unlock();
        }
        return !broken;
    }

    boolean broken() {
        return broken;
    }

    /**
     * Ends the call with {@code error}, or successfully when null: the end-of-stream envelope of a stream, the error status
     * and body of a unary call. Nothing once the call has ended.
     */
    void end(EnvdError error) throws IOException {
        lock.lock();
        try {
            endLocked(error);
        } finally {
            lock.unlock();
        }
    }

    private void endLocked(EnvdError error) throws IOException {
        if (ended) {
            return;
        }
        if (streaming) {
            ObjectNode end = EnvdJson.object();
            if (error != null) {
                ObjectNode e = end.putObject("error");
                e.put("code", error.code);
                e.put("message", error.getMessage());
            }
            write(ConnectWire.END_STREAM, E2bWire.JSON.writeValueAsBytes(end));
            out.close();
        } else if (error != null) {
            ObjectNode e = EnvdJson.object();
            e.put("code", error.code);
            e.put("message", error.getMessage());
            byte[] body = E2bWire.JSON.writeValueAsBytes(e);
            response.setStatus(error.httpStatus());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, ConnectWire.UNARY_TYPE);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            try (OutputStream o = Content.Sink.asOutputStream(response)) {
                o.write(body);
            }
        } else {
            reply(EnvdJson.object());
        }
        ended = true;
    }

    private void write(int flags, byte[] json) throws IOException {
        if (out == null) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, ConnectWire.STREAM_TYPE);
            out = Content.Sink.asOutputStream(response);
        }
        ByteBuffer envelope = ConnectWire.envelope(flags, json);
        try {
            out.write(envelope.array(), 0, envelope.limit());
            out.flush();
            lastSent = System.nanoTime();
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }
}
