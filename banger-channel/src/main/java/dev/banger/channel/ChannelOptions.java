package dev.banger.channel;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * How a {@link Channel} behaves; every limit that bounds memory or waiting is here. Start from
 * {@link #defaults(String)} and change what differs with the {@code with...} methods.
 *
 * @param name names the channel in thread names and log lines (e.g. the VM's name)
 * @param software this side's software version, sent in HELLO for the peer's messages
 * @param maxPayload the largest frame payload accepted (and announced), {@link Frames#MIN_PAYLOAD}..{@link Frames#MAX_PAYLOAD}
 * @param window the receive window per stream: the most bytes buffered for one stream before its reader reads
 * @param maxStreams the most streams at once; the channel buffers at most {@code maxStreams * window} bytes
 * @param handshakeTimeout how long the host waits for the guest's HELLO_ACK
 * @param writeStallTimeout how long one frame may take to write before the channel is closed (the peer stopped reading)
 * @param newestProtocol the newest protocol version announced (tests lower or raise it to play an old or new peer)
 * @param oldestProtocol the oldest protocol version announced
 * @param streamThreads makes the thread that runs the handler of each stream the peer opens
 * @param log receives one line per notable event (garbled input, a peer's error report, the close reason)
 */
public record ChannelOptions(String name, String software, int maxPayload, int window, int maxStreams,
        Duration handshakeTimeout, Duration writeStallTimeout, int newestProtocol, int oldestProtocol,
        ThreadFactory streamThreads, Consumer<String> log) {

    public static final int DEFAULT_WINDOW = 256 * 1024;
    public static final int DEFAULT_MAX_STREAMS = 64;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_WRITE_STALL_TIMEOUT = Duration.ofSeconds(30);

    public ChannelOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(software, "software");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(writeStallTimeout, "writeStallTimeout");
        Objects.requireNonNull(streamThreads, "streamThreads");
        Objects.requireNonNull(log, "log");
        if (maxPayload < Frames.MIN_PAYLOAD || maxPayload > Frames.MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxPayload " + maxPayload + " outside " + Frames.MIN_PAYLOAD + ".." + Frames.MAX_PAYLOAD);
        }
        if (window < Handshake.MIN_WINDOW || window > Handshake.MAX_WINDOW) {
            throw new IllegalArgumentException("window " + window + " outside " + Handshake.MIN_WINDOW + ".." + Handshake.MAX_WINDOW);
        }
        if (maxStreams < 1 || maxStreams > 4096) {
            throw new IllegalArgumentException("maxStreams " + maxStreams + " outside 1..4096");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero() || writeStallTimeout.isNegative() || writeStallTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (oldestProtocol < 1 || oldestProtocol > newestProtocol || newestProtocol > 0xFFFF) {
            throw new IllegalArgumentException("protocol range " + oldestProtocol + ".." + newestProtocol + " is not a range of u16 versions");
        }
    }

    /** Protocol {@link Handshake#PROTOCOL}, 64 KiB frames, 256 KiB windows, 64 streams, 10 s handshake, 30 s write stall, virtual threads, no log. */
    public static ChannelOptions defaults(String software) {
        return new ChannelOptions("channel", software, Frames.MAX_PAYLOAD, DEFAULT_WINDOW, DEFAULT_MAX_STREAMS,
                DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_WRITE_STALL_TIMEOUT, Handshake.PROTOCOL, Handshake.OLDEST_PROTOCOL,
                new StreamThreads(), line -> { });
    }

    /**
     * Virtual threads named channel-stream-N, counted here: the JDK's counting factory
     * ({@code Thread.ofVirtual().name(prefix, 0)}) counts through a VarHandle, whose method-handle forms a JDK 25
     * AOT cache does not keep, so the guest agent's first stream spun six classes (~60 ms under TCG) on the way
     * to a VM's first answer.
     */
    static final class StreamThreads implements java.util.concurrent.ThreadFactory {
        private final java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public Thread newThread(Runnable task) {
            return Thread.ofVirtual().name("channel-stream-" + next.getAndIncrement()).unstarted(task);
        }
    }

    public ChannelOptions withName(String value) {
        return new ChannelOptions(value, software, maxPayload, window, maxStreams, handshakeTimeout, writeStallTimeout,
                newestProtocol, oldestProtocol, streamThreads, log);
    }

    public ChannelOptions withMaxPayload(int value) {
        return new ChannelOptions(name, software, value, window, maxStreams, handshakeTimeout, writeStallTimeout,
                newestProtocol, oldestProtocol, streamThreads, log);
    }

    public ChannelOptions withWindow(int value) {
        return new ChannelOptions(name, software, maxPayload, value, maxStreams, handshakeTimeout, writeStallTimeout,
                newestProtocol, oldestProtocol, streamThreads, log);
    }

    public ChannelOptions withMaxStreams(int value) {
        return new ChannelOptions(name, software, maxPayload, window, value, handshakeTimeout, writeStallTimeout,
                newestProtocol, oldestProtocol, streamThreads, log);
    }

    public ChannelOptions withHandshakeTimeout(Duration value) {
        return new ChannelOptions(name, software, maxPayload, window, maxStreams, value, writeStallTimeout,
                newestProtocol, oldestProtocol, streamThreads, log);
    }

    public ChannelOptions withWriteStallTimeout(Duration value) {
        return new ChannelOptions(name, software, maxPayload, window, maxStreams, handshakeTimeout, value,
                newestProtocol, oldestProtocol, streamThreads, log);
    }

    public ChannelOptions withProtocols(int oldest, int newest) {
        return new ChannelOptions(name, software, maxPayload, window, maxStreams, handshakeTimeout, writeStallTimeout,
                newest, oldest, streamThreads, log);
    }

    public ChannelOptions withStreamThreads(ThreadFactory value) {
        return new ChannelOptions(name, software, maxPayload, window, maxStreams, handshakeTimeout, writeStallTimeout,
                newestProtocol, oldestProtocol, value, log);
    }

    public ChannelOptions withLog(Consumer<String> value) {
        return new ChannelOptions(name, software, maxPayload, window, maxStreams, handshakeTimeout, writeStallTimeout,
                newestProtocol, oldestProtocol, streamThreads, value);
    }
}
