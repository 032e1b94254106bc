package dev.banger.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Predicate;

/**
 * A peer that speaks frames by hand, for tests that must break the protocol on purpose: unknown types,
 * credit violations, garbage. Reads on the caller's thread, with a deadline.
 */
final class RawPeer implements AutoCloseable {
    private final InputStream in;
    private final OutputStream out;
    private final FrameDecoder decoder = new FrameDecoder(Frames.MAX_PAYLOAD);
    private final Wire.Collector collected = new Wire.Collector();
    private final ArrayDeque<Wire.Frame> pending = new ArrayDeque<>();
    private final byte[] buffer = new byte[64 * 1024];

    RawPeer(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(int streamId, int type, byte[] payload) throws IOException {
        send(Wire.frame(streamId, type, payload));
    }

    void send(int streamId, FrameType type, byte[] payload) throws IOException {
        send(streamId, type.code(), payload);
    }

    /** Plays the host: lone delimiter, HELLO; returns the guest's HELLO_ACK. */
    Hello helloAsHost(long nonce) throws IOException {
        send(new byte[] {0});
        send(0, FrameType.HELLO, new Hello(1, 1, Frames.MAX_PAYLOAD, ChannelOptions.DEFAULT_WINDOW, nonce, "raw peer").encode());
        Wire.Frame ack = await(f -> f.type() == FrameType.HELLO_ACK.code(), Duration.ofSeconds(5));
        return Hello.decode(ack.payload(), 0, ack.payload().length).orElseThrow();
    }

    /** The next frame that matches, dropping the others; fails after {@code timeout}. */
    Wire.Frame await(Predicate<Wire.Frame> wanted, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            while (!pending.isEmpty()) {
                Wire.Frame f = pending.poll();
                if (wanted.test(f)) {
                    return f;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no matching frame within " + timeout);
            }
            int n = in.read(buffer);
            if (n < 0) {
                throw new AssertionError("connection closed while waiting for a frame");
            }
            decoder.feed(buffer, 0, n, collected);
            pending.addAll(collected.frames);
            collected.frames.clear();
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
        out.close();
    }
}
