package dev.banger.channel;

import dev.banger.channel.ChannelException.Kind;
import dev.banger.channel.Handshake.Side;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The multiplexer both ends run over one byte stream (a virtio-serial port, a vsock or TCP connection):
 * frames ({@link FrameEncoder}, {@link FrameDecoder}) carry many {@link Stream}s, each with credit-based
 * flow control. See docs/CHANNEL.md for the protocol.
 *
 * <p>The host side ({@link #host}) says HELLO and waits, bounded, for the matching HELLO_ACK
 * ({@link #connect()}); the guest side ({@link #guest}) answers every HELLO on its own and starts a new
 * session each time, failing the streams of the previous one: that is how a reconnecting daemon resets
 * the agent. Either side may {@link #open} streams; the peer's OPENs go to the {@link OpenHandler}, each
 * on its own thread.
 *
 * <p>Threads: one platform thread reads and dispatches and never blocks on a write (its answers go through
 * a bounded queue that a virtual thread writes); callers' threads write their own DATA, EOF, CLOSE and
 * CREDIT frames, one frame at a time under a write lock. A write that does not finish within
 * {@link ChannelOptions#writeStallTimeout()} (the peer stopped reading) closes the channel.
 *
 * <p>Bounds: a frame's payload, the decoder's buffer, the bytes buffered per stream (its window) and per
 * channel ({@code maxStreams * window}), the queue of answers, the handshake's wait, the peer's strings.
 * Garbled input before a session is dropped; on an established session it closes the host's channel (the
 * daemon reconnects) or resets the guest's session (the agent waits for the next HELLO). A frame of an
 * unknown type is answered with ERROR on stream 0 and changes nothing else.
 *
 * <p>The channel owns the two streams it is given and closes both when it closes.
 */
public final class Channel implements AutoCloseable {
    private static final int READ_CHUNK = 64 * 1024;
    /** Answers the reader may queue (ERROR, HELLO_ACK, PONG, CREDIT of unread streams) before the peer counts as not reading. */
    static final int MAX_QUEUED_ANSWERS = 256;
    /** Log lines about the peer's misbehaviour per session, so a hostile peer cannot flood the log. */
    private static final int MAX_LOGGED_PER_SESSION = 20;
    private static final byte[] DELIMITER = {0};

    /** Checks writes for stalls: one daemon thread for all channels of the JVM. */
    private static final class Watchdog {
        static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("channel-watchdog").factory());
    }

    /** An answer queued by the reader: a frame, or a lone delimiter when {@code type} is -1. */
    private record Answer(int streamId, int type, byte[] payload) {
    }

    private final Side side;
    private final ChannelOptions options;
    private final InputStream in;
    private final OutputStream out;
    private final OpenHandler handler;
    private final FrameDecoder decoder;
    private final FrameEncoder encoder;
    private final FrameDecoder.Listener listener = new FrameDecoder.Listener() {
        @Override
        public void frame(int streamId, int type, byte[] buffer, int offset, int length) {
            onFrame(streamId, type, buffer, offset, length);
        }

        @Override
        public void garbage(String reason) {
            onGarbage(reason);
        }
    };
    private final BlockingQueue<Answer> answers = new ArrayBlockingQueue<>(MAX_QUEUED_ANSWERS);
    private final CompletableFuture<String> closedFuture = new CompletableFuture<>();
    /** Guards the session and every stream's state; never held during I/O. */
    final ReentrantLock lock = new ReentrantLock();
    private final Condition sessionChanged = lock.newCondition();
    private final Object pingTurn = new Object();
    private volatile long lastHeardNanos = System.nanoTime();
    /** Serialises frames on the wire; taken before {@link #lock}, never after. */
    private final ReentrantLock writeLock = new ReentrantLock();

    // Guarded by lock.
    private final Map<Integer, Stream> streams = new HashMap<>();
    private Hello mine;
    private boolean started;
    private boolean closed;
    private String closeReason;
    private long session;
    private boolean established;
    private int sendPayload = Frames.MIN_PAYLOAD;
    private int sendWindow;
    private Hello peer;
    private String incompatibility;
    private String lastGarbage;
    private int nextLocalId;
    private int highestPeerId;
    private long bufferedBytes;
    private long maxBufferedBytes;
    private int maxStreamBuffered;
    private int loggedThisSession;
    private long pingToken;
    private boolean pongSeen;

    private volatile boolean closedFlag;
    private volatile boolean answersOverflowed;
    /** System.nanoTime() when the current write began, 0 when none is under way. */
    private volatile long writingSince;
    private volatile long framesIn;
    private volatile long framesOut;
    private volatile long bytesIn;
    private volatile long bytesOut;
    private Thread answerWriter;
    private ScheduledFuture<?> watchdog;

    private Channel(Side side, InputStream in, OutputStream out, ChannelOptions options, OpenHandler handler) {
        this.side = side;
        this.in = in;
        this.out = out;
        this.options = options;
        this.handler = handler;
        this.decoder = new FrameDecoder(options.maxPayload());
        this.encoder = new FrameEncoder(options.maxPayload());
        this.mine = new Hello(options.newestProtocol(), options.oldestProtocol(), options.maxPayload(), options.window(), 0,
                options.software());
        this.nextLocalId = side == Side.HOST ? 1 : 2;
    }

    /** The daemon's end: call {@link #connect()}. {@code handler} serves streams the guest opens; null refuses them. */
    public static Channel host(InputStream in, OutputStream out, ChannelOptions options, OpenHandler handler) {
        return new Channel(Side.HOST, in, out, options, handler);
    }

    /** The agent's end: call {@link #start()}. {@code handler} serves streams the host opens; null refuses them. */
    public static Channel guest(InputStream in, OutputStream out, ChannelOptions options, OpenHandler handler) {
        return new Channel(Side.GUEST, in, out, options, handler);
    }

    public Side side() {
        return side;
    }

    /**
     * Host side: sends a lone delimiter (ending whatever partial frame the guest holds) and HELLO, then
     * waits for the HELLO_ACK that echoes its nonce, dropping everything before it (the tail of an earlier
     * connection, garbage). Returns the guest's HELLO. On failure the channel is closed and the exception
     * says why: {@link Kind#TIMEOUT} (no answer within the handshake timeout), {@link Kind#INCOMPATIBLE}
     * (no common protocol: the message names the fix) or {@link Kind#CLOSED}.
     */
    public Hello connect() throws ChannelException, InterruptedException {
        long nonce = ThreadLocalRandom.current().nextLong();
        lock.lock();
        try {
            if (side != Side.HOST || started) {
                throw new IllegalStateException(side != Side.HOST ? "connect() is the host side's" : "already started");
            }
            started = true;
            mine = mine.withNonce(nonce);
        } finally {
            lock.unlock();
        }
        startThreads();
        // Written by the answer writer, so that a peer that does not even read cannot hold this thread
        // past the handshake timeout; a failed write closes the channel, which the wait below reports.
        answer(new Answer(0, -1, DELIMITER));
        answer(new Answer(0, FrameType.HELLO.code(), mine.encode()));
        String failure;
        Kind kind;
        lock.lock();
        try {
            long left = options.handshakeTimeout().toNanos();
            while (!established && incompatibility == null && !closed && left > 0) {
                left = sessionChanged.awaitNanos(left);
            }
            if (established) {
                return peer;
            }
            if (incompatibility != null) {
                kind = Kind.INCOMPATIBLE;
                failure = incompatibility;
            } else if (closed) {
                kind = Kind.CLOSED;
                failure = "the channel closed before " + side.peerName() + " answered: " + closeReason + notAChannel();
            } else {
                kind = Kind.TIMEOUT;
                String hint = notAChannel();
                failure = "no answer from " + side.peerName() + " within " + seconds(options.handshakeTimeout())
                        + (hint.isEmpty() ? ": is it running, and listening on this channel?" : hint);
            }
        } catch (InterruptedException e) {
            close("interrupted during the handshake");
            throw e;
        } finally {
            lock.unlock();
        }
        close(failure);
        throw new ChannelException(kind, failure);
    }

    /** Under lock: a hint for when the peer sent bytes but never a frame (an old agent's JSON, say), or "". */
    private String notAChannel() {
        if (framesIn > 0 || bytesIn == 0) {
            return "";
        }
        return "; it sent " + bytesIn + " bytes and not one channel frame" + (lastGarbage == null ? "" : " (" + lastGarbage + ")")
                + ": an agent that predates this channel, or something else on the line";
    }

    /**
     * Guest side: starts reading and answering. First it sends a lone delimiter (ending whatever partial frame
     * this side left before a restart) and a HELLO of its own: a host still connected to an earlier run of
     * the agent learns that its session is gone and closes its channel (the daemon reconnects); a host
     * that is just connecting ignores it and waits for the answer to its own HELLO.
     */
    public void start() {
        lock.lock();
        try {
            if (side != Side.GUEST || started) {
                throw new IllegalStateException(side != Side.GUEST ? "start() is the guest side's" : "already started");
            }
            started = true;
        } finally {
            lock.unlock();
        }
        // Queued before the reader starts: a host HELLO already waiting on the line must be answered after
        // this HELLO, never before it (the host would take a HELLO after its HELLO_ACK for a restart).
        answer(new Answer(0, -1, DELIMITER));
        answer(new Answer(0, FrameType.HELLO.code(), mine.withNonce(ThreadLocalRandom.current().nextLong()).encode()));
        startThreads();
    }

    /**
     * Opens a stream carrying {@code request} (at most the session's maximum payload). The stream may be
     * written at once; the peer refuses with ERROR (the stream then fails with its text) if it has too many
     * streams or no handler.
     */
    public Stream open(byte[] request) throws ChannelException {
        Stream stream;
        writeLock.lock();
        try {
            lock.lock();
            try {
                if (closed) {
                    throw new ChannelException(Kind.CLOSED, "the channel is closed: " + closeReason);
                }
                if (!established) {
                    throw new ChannelException(Kind.NOT_READY, incompatibility != null ? incompatibility : "no session with " + side.peerName() + " yet");
                }
                if (request.length > sendPayload) {
                    throw new ChannelException(Kind.LIMIT, "a request of " + request.length + " bytes exceeds the " + sendPayload + "-byte frame payload");
                }
                if (streams.size() >= options.maxStreams()) {
                    throw new ChannelException(Kind.LIMIT, streams.size() + " streams are already open on this channel (the limit is "
                            + options.maxStreams() + ")");
                }
                if (nextLocalId <= 0) {
                    throw new ChannelException(Kind.LIMIT, "this session has used up its stream ids: reconnect");
                }
                stream = new Stream(this, nextLocalId, request.clone(), session, options.window(), sendWindow);
                nextLocalId += 2;
                streams.put(stream.id(), stream);
            } finally {
                lock.unlock();
            }
            try {
                writeFrame(stream.id(), FrameType.OPEN.code(), request);
            } catch (IOException e) {
                throw new ChannelException(Kind.CLOSED, "could not open a stream: " + e.getMessage());
            }
        } finally {
            writeLock.unlock();
        }
        return stream;
    }

    /** Sends PING and waits for its PONG; returns the round trip. Concurrent pings take turns. */
    public Duration ping(Duration timeout) throws ChannelException, InterruptedException {
        synchronized (pingTurn) {
            return pingAlone(timeout);
        }
    }

    private Duration pingAlone(Duration timeout) throws ChannelException, InterruptedException {
        long token = ThreadLocalRandom.current().nextLong();
        byte[] payload = new byte[8];
        Frames.putInt(payload, 0, (int) (token >>> 32));
        Frames.putInt(payload, 4, (int) token);
        lock.lock();
        try {
            requireSession();
            pingToken = token;
            pongSeen = false;
        } finally {
            lock.unlock();
        }
        long begin = System.nanoTime();
        writeLock.lock();
        try {
            writeFrame(0, FrameType.PING.code(), payload);
        } catch (IOException e) {
            throw new ChannelException(Kind.CLOSED, "could not send PING: " + e.getMessage());
        } finally {
            writeLock.unlock();
        }
        lock.lock();
        try {
            long left = timeout.toNanos();
            while (!pongSeen && !closed && left > 0) {
                left = sessionChanged.awaitNanos(left);
            }
            if (pongSeen) {
                return Duration.ofNanos(System.nanoTime() - begin);
            }
            requireSession();
            throw new ChannelException(Kind.TIMEOUT, "no PONG from " + side.peerName() + " within " + seconds(timeout));
        } finally {
            lock.unlock();
        }
    }

    /** Whether a session is up (the handshake agreed and nothing reset it since). */
    public boolean isEstablished() {
        lock.lock();
        try {
            return established;
        } finally {
            lock.unlock();
        }
    }

    /** The peer's HELLO (or HELLO_ACK) of the current session. */
    public Optional<Hello> peer() {
        lock.lock();
        try {
            return Optional.ofNullable(peer);
        } finally {
            lock.unlock();
        }
    }

    /** Completes with the close reason when the channel closes, whoever closes it. */
    public CompletableFuture<String> closed() {
        return closedFuture.copy();
    }

    public ChannelStats stats() {
        lock.lock();
        try {
            return new ChannelStats(established, streams.size(), bufferedBytes, maxBufferedBytes, maxStreamBuffered,
                    decoder.capacity(), framesIn, framesOut, decoder.garbageCount(), bytesIn, bytesOut);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        close("closed by this side");
    }

    /** Closes the channel and its connection; every stream fails with {@code reason}. Idempotent. */
    public void close(String reason) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closedFlag = true;
            closeReason = reason;
            established = false;
            failStreams(reason);
            sessionChanged.signalAll();
        } finally {
            lock.unlock();
        }
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        if (answerWriter != null) {
            answerWriter.interrupt();
        }
        closeQuietly(in);
        closeQuietly(out);
        options.log().accept(options.name() + ": channel closed: " + reason);
        closedFuture.complete(reason);
    }

    // ---- threads

    private void startThreads() {
        Thread reader = Thread.ofPlatform().daemon().name("channel-reader-" + options.name()).unstarted(this::readLoop);
        answerWriter = Thread.ofVirtual().name("channel-answers-" + options.name()).unstarted(this::answerLoop);
        long period = Math.max(50, Math.min(1000, options.writeStallTimeout().toMillis() / 4));
        watchdog = Watchdog.TIMER.scheduleAtFixedRate(this::checkStall, period, period, TimeUnit.MILLISECONDS);
        answerWriter.start();
        reader.start();
    }

    /** When the peer's bytes last arrived (System.nanoTime): how long the channel has been silent. */
    public Duration silence() {
        return Duration.ofNanos(System.nanoTime() - lastHeardNanos);
    }

    private void readLoop() {
        byte[] buffer = new byte[READ_CHUNK];
        String reason;
        try {
            while (true) {
                int n = in.read(buffer);
                if (n < 0) {
                    reason = side.peerName() + " closed the connection";
                    break;
                }
                bytesIn += n;
                lastHeardNanos = System.nanoTime();
                decoder.feed(buffer, 0, n, listener);
                if (answersOverflowed) {
                    reason = side.peerName() + " sends frames that need answers but does not read them ("
                            + MAX_QUEUED_ANSWERS + " answers queued)";
                    break;
                }
                if (closedFlag) {
                    return;
                }
            }
        } catch (IOException e) {
            reason = "reading from " + side.peerName() + " failed: " + e;
        } catch (RuntimeException e) {
            reason = "internal error while reading the channel: " + e;
        }
        close(reason);
    }

    private void answerLoop() {
        try {
            while (true) {
                Answer first = answers.take();
                writeLock.lock();
                try {
                    for (Answer a = first; a != null; a = answers.poll()) {
                        if (a.type() < 0) {
                            writeRaw(a.payload(), a.payload().length);
                        } else {
                            writeFrame(a.streamId(), a.type(), a.payload());
                        }
                    }
                } finally {
                    writeLock.unlock();
                }
            }
        } catch (InterruptedException | IOException e) {
            // closed, or the write failed and writeRaw closed the channel
        }
    }

    private void checkStall() {
        long since = writingSince;
        if (since != 0 && System.nanoTime() - since > options.writeStallTimeout().toNanos()) {
            close(side.peerName() + " has not read what this side wrote for " + seconds(options.writeStallTimeout())
                    + " (it hangs, or stopped reading)");
        }
    }

    // ---- writing (callers hold writeLock)

    private void writeFrame(int streamId, int type, byte[] payload) throws IOException {
        writeFrame(streamId, type, payload, 0, payload.length);
    }

    private void writeFrame(int streamId, int type, byte[] payload, int offset, int length) throws IOException {
        int n = encoder.encode(streamId, type, payload, offset, length);
        writeRaw(encoder.buffer(), n);
        framesOut++;
    }

    private void writeRaw(byte[] bytes, int length) throws IOException {
        if (closedFlag) {
            throw new ChannelException(Kind.CLOSED, "the channel is closed: " + closeReasonNow());
        }
        writingSince = System.nanoTime() | 1;
        try {
            out.write(bytes, 0, length);
            out.flush();
            bytesOut += length;
        } catch (IOException e) {
            close("writing to " + side.peerName() + " failed: " + e);
            throw new ChannelException(Kind.CLOSED, "the channel is closed: " + closeReasonNow());
        } finally {
            writingSince = 0;
        }
    }

    private String closeReasonNow() {
        lock.lock();
        try {
            return closeReason;
        } finally {
            lock.unlock();
        }
    }

    /** Queues an answer for the answer writer; never blocks. Too many queued: the reader closes the channel. */
    private void answer(Answer a) {
        if (!answers.offer(a)) {
            answersOverflowed = true;
        }
    }

    private void answerError(int streamId, String text) {
        answer(new Answer(streamId, FrameType.ERROR.code(), PeerText.encode(text, Frames.MAX_TEXT)));
    }

    // ---- what streams call

    int sendPayload() {
        return sendPayload;
    }

    void sendData(Stream stream, byte[] b, int offset, int length) throws IOException {
        writeLock.lock();
        try {
            lock.lock();
            try {
                stream.checkWritable();
                requireCurrent(stream);
            } finally {
                lock.unlock();
            }
            writeFrame(stream.id(), FrameType.DATA.code(), b, offset, length);
        } finally {
            writeLock.unlock();
        }
    }

    void sendEof(Stream stream) throws IOException {
        writeLock.lock();
        try {
            lock.lock();
            try {
                if (stream.session != session || !stream.markOutputEof()) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            writeFrame(stream.id(), FrameType.EOF.code(), new byte[0]);
        } finally {
            writeLock.unlock();
        }
    }

    void sendClose(Stream stream, int status, String reason) {
        writeLock.lock();
        try {
            boolean send;
            lock.lock();
            try {
                send = stream.endLocally(status, reason) && stream.session == session && !closed;
            } finally {
                lock.unlock();
            }
            if (send) {
                byte[] text = PeerText.encode(reason, Frames.MAX_TEXT);
                byte[] payload = new byte[4 + text.length];
                Frames.putInt(payload, 0, status);
                System.arraycopy(text, 0, payload, 4, text.length);
                writeFrame(stream.id(), FrameType.CLOSE.code(), payload);
            }
        } catch (IOException e) {
            // the channel is closing; the stream has ended here either way
        } finally {
            writeLock.unlock();
        }
    }

    /** Grants credit from a reader's thread (it may block on the wire, bounded by the stall timeout). */
    void sendCredit(Stream stream, int grant) {
        writeLock.lock();
        try {
            lock.lock();
            try {
                if (stream.ended() || stream.session != session || closed) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            writeFrame(stream.id(), FrameType.CREDIT.code(), u32(grant));
        } catch (IOException e) {
            // the channel is closing
        } finally {
            writeLock.unlock();
        }
    }

    /** Grants credit from the reader thread (under lock): queued, never blocking. */
    void grantAsync(Stream stream, int grant) {
        if (grant > 0) {
            answer(new Answer(stream.id(), FrameType.CREDIT.code(), u32(grant)));
        }
    }

    /** Under lock: a stream's unread bytes changed by {@code delta}; it now holds {@code streamBuffered}. */
    void accountBuffered(int delta, int streamBuffered) {
        bufferedBytes += delta;
        maxBufferedBytes = Math.max(maxBufferedBytes, bufferedBytes);
        maxStreamBuffered = Math.max(maxStreamBuffered, streamBuffered);
    }

    /** Under lock: the stream no longer counts against maxStreams. */
    void releaseSlot(Stream stream) {
        if (stream.holdsSlot()) {
            stream.slotReleased();
            streams.remove(stream.id(), stream);
        }
    }

    private void requireCurrent(Stream stream) throws ChannelException {
        if (stream.session != session || closed) {
            throw new ChannelException(Kind.CLOSED, "stream " + stream.id() + " belongs to a session that has ended");
        }
    }

    private void requireSession() throws ChannelException {
        if (closed) {
            throw new ChannelException(Kind.CLOSED, "the channel is closed: " + closeReason);
        }
        if (!established) {
            throw new ChannelException(Kind.NOT_READY, "no session with " + side.peerName() + " yet");
        }
    }

    // ---- reading (the reader thread)

    private void onGarbage(String reason) {
        boolean wasEstablished;
        lock.lock();
        try {
            lastGarbage = reason;
            wasEstablished = established;
            if (wasEstablished && side == Side.GUEST) {
                established = false;
                failStreams("garbled bytes from bangerd (" + reason + "): the session is reset until its next HELLO");
                session++;
            }
        } finally {
            lock.unlock();
        }
        if (wasEstablished && side == Side.HOST) {
            close("garbled bytes from " + side.peerName() + ": " + reason);
        } else if (wasEstablished) {
            options.log().accept(options.name() + ": garbled bytes from bangerd (" + reason + "): streams reset, waiting for HELLO");
        } else {
            logLimited("dropped bytes before the handshake: " + reason);
        }
    }

    private void onFrame(int streamId, int code, byte[] buffer, int offset, int length) {
        framesIn++;
        FrameType type = FrameType.of(code);
        if (type == FrameType.HELLO) {
            onHello(streamId, buffer, offset, length);
            return;
        }
        if (type == FrameType.HELLO_ACK) {
            onHelloAck(buffer, offset, length);
            return;
        }
        boolean live;
        String refusal;
        lock.lock();
        try {
            live = established;
            refusal = incompatibility;
        } finally {
            lock.unlock();
        }
        if (!live) {
            // Frames of an earlier session, or a peer that skipped the handshake. A guest refuses OPENs so
            // that a host that missed a reset hears why; everything else is dropped.
            if (type == FrameType.OPEN && side == Side.GUEST && streamId > 0) {
                answerError(streamId, refusal != null ? refusal : "no session: the guest agent restarted or saw garbled bytes; reconnect");
            }
            return;
        }
        if (type == null) {
            answerError(0, "unknown frame type " + code + " (on stream " + streamId + ") ignored: this side speaks channel protocol "
                    + Handshake.PROTOCOL);
            logLimited(side.peerName() + " sent a frame of unknown type " + code + ": answered with ERROR");
            return;
        }
        switch (type) {
            case PING -> onPing(streamId, buffer, offset, length);
            case PONG -> onPong(buffer, offset, length);
            case ERROR -> onError(streamId, buffer, offset, length);
            case OPEN -> onOpen(streamId, buffer, offset, length);
            default -> onStreamFrame(streamId, type, buffer, offset, length);
        }
    }

    private void onHello(int streamId, byte[] buffer, int offset, int length) {
        if (side == Side.HOST) {
            // The guest says HELLO only when it starts: a session it had with us is gone.
            if (isEstablished()) {
                close("the guest agent restarted (it said HELLO): its streams are gone; reconnect for a new session");
            }
            return;
        }
        Optional<Hello> decoded = streamId == 0 ? Hello.decode(buffer, offset, length) : Optional.empty();
        if (decoded.isEmpty()) {
            answerError(0, "malformed HELLO (" + length + " bytes on stream " + streamId + ")");
            logLimited("a malformed HELLO from bangerd: answered with ERROR");
            return;
        }
        Hello theirs = decoded.get();
        Handshake.Outcome outcome = Handshake.decide(Side.GUEST, mine, theirs);
        lock.lock();
        try {
            failStreams("bangerd started a new session (it reconnected): this stream belonged to the previous one");
            session++;
            peer = theirs;
            loggedThisSession = 0;
            nextLocalId = 2;
            highestPeerId = 0;
            if (outcome instanceof Handshake.Agreed agreed) {
                established = true;
                incompatibility = null;
                sendPayload = agreed.sendPayload();
                sendWindow = agreed.sendWindow();
            } else {
                established = false;
                incompatibility = ((Handshake.Incompatible) outcome).message();
            }
            sessionChanged.signalAll();
        } finally {
            lock.unlock();
        }
        if (outcome instanceof Handshake.Incompatible(String message)) {
            options.log().accept(options.name() + ": " + message);
        }
        answer(new Answer(0, FrameType.HELLO_ACK.code(), mine.withNonce(theirs.nonce()).encode()));
    }

    private void onHelloAck(byte[] buffer, int offset, int length) {
        if (side == Side.GUEST) {
            logLimited("ignored a HELLO_ACK from bangerd: only the guest answers HELLO");
            return;
        }
        Optional<Hello> decoded = Hello.decode(buffer, offset, length);
        lock.lock();
        try {
            if (decoded.isEmpty()) {
                lastGarbage = "a malformed HELLO_ACK of " + length + " bytes";
                return;
            }
            Hello theirs = decoded.get();
            if (established || !started || theirs.nonce() != mine.nonce()) {
                return; // the answer to an earlier connection's HELLO, or a duplicate
            }
            peer = theirs;
            Handshake.Outcome outcome = Handshake.decide(Side.HOST, mine, theirs);
            if (outcome instanceof Handshake.Agreed agreed) {
                established = true;
                session = 1;
                sendPayload = agreed.sendPayload();
                sendWindow = agreed.sendWindow();
            } else {
                incompatibility = ((Handshake.Incompatible) outcome).message();
            }
            sessionChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void onPing(int streamId, byte[] buffer, int offset, int length) {
        if (streamId != 0 || length > Frames.MAX_PING) {
            answerError(0, "PING on stream " + streamId + " with " + length + " bytes: it belongs on stream 0, with at most "
                    + Frames.MAX_PING);
            return;
        }
        byte[] echo = new byte[length];
        System.arraycopy(buffer, offset, echo, 0, length);
        answer(new Answer(0, FrameType.PONG.code(), echo));
    }

    private void onPong(byte[] buffer, int offset, int length) {
        if (length != 8) {
            return; // not the answer to one of our PINGs
        }
        long token = (long) Frames.getInt(buffer, offset) << 32 | (Frames.getInt(buffer, offset + 4) & 0xFFFFFFFFL);
        lock.lock();
        try {
            if (token == pingToken) {
                pongSeen = true;
                sessionChanged.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void onError(int streamId, byte[] buffer, int offset, int length) {
        String text = PeerText.decode(buffer, offset, length, Frames.MAX_TEXT);
        if (streamId == 0) {
            logLimited(side.peerName() + " reported: " + text);
            return;
        }
        lock.lock();
        try {
            Stream stream = streamId > 0 ? streams.get(streamId) : null;
            if (stream != null && !stream.ended()) {
                stream.fail(side.peerName() + " reported an error on stream " + streamId + ": " + text);
            }
        } finally {
            lock.unlock();
        }
    }

    private void onOpen(int streamId, byte[] buffer, int offset, int length) {
        boolean peerParity = streamId > 0 && (streamId & 1) == (side == Side.HOST ? 0 : 1);
        Stream stream = null;
        String refusal;
        lock.lock();
        try {
            if (!peerParity) {
                refusal = "OPEN with stream id " + streamId + ": " + side.peerName() + " opens " + (side == Side.HOST ? "even" : "odd")
                        + " positive ids";
            } else if (streamId <= highestPeerId) {
                refusal = "OPEN reuses stream id " + streamId + " (ids only grow within a session)";
                Stream clash = streams.get(streamId);
                if (clash != null && !clash.ended()) {
                    clash.fail("protocol error by " + side.peerName() + ": " + refusal);
                }
            } else {
                highestPeerId = streamId;
                if (handler == null) {
                    refusal = "this side accepts no streams";
                } else if (streams.size() >= options.maxStreams()) {
                    refusal = "too many streams: " + streams.size() + " are open, the limit is " + options.maxStreams();
                } else {
                    byte[] request = new byte[length];
                    System.arraycopy(buffer, offset, request, 0, length);
                    stream = new Stream(this, streamId, request, session, options.window(), sendWindow);
                    streams.put(streamId, stream);
                    refusal = null;
                }
            }
        } finally {
            lock.unlock();
        }
        if (refusal != null) {
            answerError(peerParity ? streamId : 0, refusal);
            return;
        }
        Stream opened = stream;
        try {
            options.streamThreads().newThread(() -> serve(opened)).start();
        } catch (RuntimeException | OutOfMemoryError e) {
            lock.lock();
            try {
                opened.fail("could not start a thread for stream " + streamId + ": " + e);
            } finally {
                lock.unlock();
            }
            answerError(streamId, "this side could not start a thread for the stream: " + e);
        }
    }

    private void serve(Stream stream) {
        try {
            handler.onOpen(stream, stream.request());
            stream.close(StreamEnd.OK, "");
        } catch (Throwable t) {
            stream.close(StreamEnd.FAILED, "the handler failed: " + t);
            logLimited("the handler of stream " + stream.id() + " failed: " + t);
            if (t instanceof Error error) {
                throw error;
            }
        }
    }

    private void onStreamFrame(int streamId, FrameType type, byte[] buffer, int offset, int length) {
        String violation;
        lock.lock();
        try {
            Stream stream = streamId > 0 ? streams.get(streamId) : null;
            if (stream == null || stream.ended()) {
                if (stream != null || retired(streamId) || type == FrameType.CLOSE) {
                    return; // a late frame for a stream that has ended: expected, harmless
                }
                violation = type + " for stream " + streamId + ", which is not open";
            } else {
                violation = switch (type) {
                    case DATA -> stream.onData(buffer, offset, length);
                    case EOF -> stream.onEof(length);
                    case CREDIT -> stream.onCredit(buffer, offset, length);
                    case CLOSE -> stream.onClose(buffer, offset, length);
                    default -> type + " is not a stream frame";
                };
                if (violation != null) {
                    stream.fail("protocol error by " + side.peerName() + ": " + violation);
                }
            }
        } finally {
            lock.unlock();
        }
        if (violation != null) {
            answerError(Math.max(streamId, 0), violation);
            logLimited("protocol error by " + side.peerName() + ": " + violation);
        }
    }

    /** Under lock: whether {@code id} named a stream of this session that has since ended. */
    private boolean retired(int id) {
        if (id <= 0) {
            return false;
        }
        boolean local = (id & 1) == (side == Side.HOST ? 1 : 0);
        return local ? id < nextLocalId : id <= highestPeerId;
    }

    /** Under lock: fails every stream of the session (open, or ended with bytes unread). */
    private void failStreams(String reason) {
        List<Stream> all = new ArrayList<>(streams.values());
        for (Stream stream : all) {
            stream.fail(reason);
        }
        streams.clear();
    }

    private void logLimited(String line) {
        int n;
        lock.lock();
        try {
            n = ++loggedThisSession;
        } finally {
            lock.unlock();
        }
        if (n <= MAX_LOGGED_PER_SESSION) {
            options.log().accept(options.name() + ": " + line);
        } else if (n == MAX_LOGGED_PER_SESSION + 1) {
            options.log().accept(options.name() + ": further complaints about " + side.peerName() + " suppressed until the next session");
        }
    }

    private static byte[] u32(int value) {
        byte[] b = new byte[4];
        Frames.putInt(b, 0, value);
        return b;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
