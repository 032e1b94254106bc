package dev.banger.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.Condition;

/**
 * One bidirectional stream of a {@link Channel}. Its {@link #input()} blocks until the peer's bytes
 * arrive (reading grants the peer more credit); its {@link #output()} blocks while the peer's credit is
 * spent, so neither side ever buffers more than a window. {@link #closeOutput()} half-closes (EOF);
 * {@link #close(int, String)} ends the stream with a status the peer reads from {@link #awaitEnd}.
 *
 * <p>Reads: the peer's bytes, then -1 once the peer sent EOF or CLOSE; an {@link IOException} with the
 * reason if the stream failed (protocol error, the peer's ERROR, the channel's end). Writes throw once
 * the stream has ended. Each {@code write} sends at least one frame: wrap the output in a
 * {@link java.io.BufferedOutputStream} to send small writes together.
 *
 * <p>Thread-safety: one reader and one writer at a time may use it concurrently; every other method may be
 * called from any thread.
 */
public final class Stream implements AutoCloseable {
    private final Channel channel;
    private final int id;
    private final byte[] request;
    /** The session this stream belongs to: a stream of an earlier session sends nothing. */
    final long session;
    private final int window;
    private final int sendWindow;
    /** Credit is granted back in batches of at least this many bytes, not per read. */
    private final int grantThreshold;
    private final Condition readable;
    private final Condition writable;
    private final Condition ended;
    private final InputStream input = new Input();
    private final OutputStream output = new Output();

    // Guarded by channel.lock.
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int head;
    private int buffered;
    private int ungranted;
    private long sendCredit;
    private boolean inputEof;
    private boolean inputClosed;
    private boolean outputEof;
    private boolean slotHeld = true;
    private StreamEnd end;
    private int maxBuffered;

    Stream(Channel channel, int id, byte[] request, long session, int window, int sendWindow) {
        this.channel = channel;
        this.id = id;
        this.request = request;
        this.session = session;
        this.window = window;
        this.sendWindow = sendWindow;
        this.grantThreshold = Math.max(1, window / 4);
        this.sendCredit = sendWindow;
        this.readable = channel.lock.newCondition();
        this.writable = channel.lock.newCondition();
        this.ended = channel.lock.newCondition();
    }

    public int id() {
        return id;
    }

    /** The OPEN payload: what the opener asked for. */
    public byte[] request() {
        return request.clone();
    }

    public InputStream input() {
        return input;
    }

    public OutputStream output() {
        return output;
    }

    /** Sends EOF: this side writes no more; the peer's reads return -1 after the bytes sent. Idempotent. */
    public void closeOutput() throws IOException {
        channel.sendEof(this);
    }

    /**
     * Ends the stream: sends CLOSE with {@code status} and {@code reason} (cut to {@link Frames#MAX_TEXT}
     * bytes) unless it has already ended, drops unread input, wakes blocked readers and writers. Idempotent.
     */
    public void close(int status, String reason) {
        channel.sendClose(this, status, reason);
    }

    /** {@link #close(int, String)} with {@link StreamEnd#OK} and no reason. */
    @Override
    public void close() {
        close(StreamEnd.OK, "");
    }

    /** How the stream ended, if it has. */
    public Optional<StreamEnd> end() {
        channel.lock.lock();
        try {
            return Optional.ofNullable(end);
        } finally {
            channel.lock.unlock();
        }
    }

    /** Waits until the stream ends (the peer's CLOSE carries its status); empty if {@code timeout} passes first. */
    public Optional<StreamEnd> awaitEnd(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        channel.lock.lock();
        try {
            while (end == null && left > 0) {
                left = ended.awaitNanos(left);
            }
            return Optional.ofNullable(end);
        } finally {
            channel.lock.unlock();
        }
    }

    /** The most bytes this stream has ever held unread: never more than its window. */
    public int maxBuffered() {
        channel.lock.lock();
        try {
            return maxBuffered;
        } finally {
            channel.lock.unlock();
        }
    }

    // ---- called by the channel, under channel.lock; each returns a protocol violation's text, or null

    String onData(byte[] b, int offset, int length) {
        if (inputEof) {
            return "DATA on stream " + id + " after its EOF";
        }
        long room = (long) window - buffered - ungranted;
        if (length > room) {
            return length + " bytes of DATA on stream " + id + " with only " + room + " bytes of credit granted";
        }
        if (length == 0) {
            return null;
        }
        if (inputClosed) {
            ungranted += length; // nobody reads: drop the bytes, but give the credit back
            channel.grantAsync(this, takeGrantIfDue());
            return null;
        }
        byte[] copy = new byte[length];
        System.arraycopy(b, offset, copy, 0, length);
        chunks.addLast(copy);
        buffered += length;
        maxBuffered = Math.max(maxBuffered, buffered);
        channel.accountBuffered(length, buffered);
        readable.signal();
        return null;
    }

    String onEof(int length) {
        if (length != 0) {
            return "EOF on stream " + id + " with a " + length + "-byte payload";
        }
        if (inputEof) {
            return "a second EOF on stream " + id;
        }
        inputEof = true;
        readable.signalAll();
        return null;
    }

    String onCredit(byte[] b, int offset, int length) {
        if (length != 4) {
            return "CREDIT on stream " + id + " with a " + length + "-byte payload (it carries a u32)";
        }
        long grant = Frames.getInt(b, offset) & 0xFFFFFFFFL;
        if (sendCredit + grant > sendWindow) {
            return "CREDIT of " + grant + " bytes on stream " + id + " would allow " + (sendCredit + grant)
                    + " bytes in flight, beyond the announced window of " + sendWindow;
        }
        sendCredit += grant;
        writable.signalAll();
        return null;
    }

    String onClose(byte[] b, int offset, int length) {
        if (length < 4) {
            return "CLOSE on stream " + id + " with a " + length + "-byte payload (it starts with an s32 status)";
        }
        int status = Frames.getInt(b, offset);
        String reason = PeerText.decode(b, offset + 4, length - 4, Frames.MAX_TEXT);
        end(new StreamEnd(StreamEnd.Origin.PEER, status, reason));
        inputEof = true;
        if (buffered == 0) {
            channel.releaseSlot(this);
        }
        return null;
    }

    /** Ends the stream as failed (if not ended yet), dropping its input; releases its slot. */
    void fail(String reason) {
        end(new StreamEnd(StreamEnd.Origin.FAILURE, StreamEnd.FAILED, reason));
        dropInput();
        channel.releaseSlot(this);
    }

    /** Ends it locally; true if CLOSE should be sent (the stream had not ended before). */
    boolean endLocally(int status, String reason) {
        boolean first = end == null;
        end(new StreamEnd(StreamEnd.Origin.LOCAL, status, reason));
        dropInput();
        channel.releaseSlot(this);
        return first;
    }

    /** True if EOF should be sent now (first time, stream still going). */
    boolean markOutputEof() {
        if (outputEof || end != null) {
            return false;
        }
        outputEof = true;
        writable.signalAll();
        return true;
    }

    /** Throws unless DATA may still be sent on this stream. */
    void checkWritable() throws IOException {
        if (outputEof) { // this side's own doing: say so first
            throw new IOException("stream " + id + ": output already closed (EOF sent)");
        }
        if (end != null) {
            throw endException();
        }
    }

    private IOException endException() {
        return switch (end.origin()) {
            case PEER -> new IOException("stream " + id + " was closed by " + channel.side().peerName() + " (status " + end.status()
                    + (end.reason().isEmpty() ? "" : ", " + end.reason()) + ")");
            case LOCAL -> new IOException("stream " + id + " is closed");
            case FAILURE -> new IOException(end.reason());
        };
    }

    boolean ended() {
        return end != null;
    }

    boolean holdsSlot() {
        return slotHeld;
    }

    void slotReleased() {
        slotHeld = false;
    }

    private void end(StreamEnd how) {
        if (end == null) {
            end = how;
        }
        readable.signalAll();
        writable.signalAll();
        ended.signalAll();
    }

    private void dropInput() {
        if (buffered > 0) {
            channel.accountBuffered(-buffered, 0);
        }
        chunks.clear();
        head = 0;
        buffered = 0;
    }

    private int takeGrantIfDue() {
        if (ungranted < grantThreshold) {
            return 0;
        }
        int grant = ungranted;
        ungranted = 0;
        return grant;
    }

    private final class Input extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int grant = 0;
            int n = 0;
            channel.lock.lock();
            try {
                while (buffered == 0) {
                    if (end != null && end.origin() != StreamEnd.Origin.PEER) {
                        throw endException(); // failed, or closed on this side
                    }
                    if (inputEof) {
                        if (end != null) {
                            channel.releaseSlot(Stream.this);
                        }
                        return -1;
                    }
                    if (inputClosed) {
                        throw new IOException("stream " + id + ": input already closed");
                    }
                    awaitSignal(readable);
                }
                while (n < len && buffered > 0) {
                    byte[] chunk = chunks.peekFirst();
                    int take = Math.min(len - n, chunk.length - head);
                    System.arraycopy(chunk, head, b, off + n, take);
                    n += take;
                    head += take;
                    buffered -= take;
                    if (head == chunk.length) {
                        chunks.removeFirst();
                        head = 0;
                    }
                }
                channel.accountBuffered(-n, buffered);
                if (end == null && !inputEof) {
                    ungranted += n;
                    grant = takeGrantIfDue();
                } else if (end != null && buffered == 0) {
                    channel.releaseSlot(Stream.this);
                }
            } finally {
                channel.lock.unlock();
            }
            if (grant > 0) {
                channel.sendCredit(Stream.this, grant);
            }
            return n;
        }

        @Override
        public int available() {
            channel.lock.lock();
            try {
                return buffered;
            } finally {
                channel.lock.unlock();
            }
        }

        /** Stops reading: unread and later bytes are dropped, their credit given back so the peer never stalls. */
        @Override
        public void close() {
            int grant;
            channel.lock.lock();
            try {
                if (inputClosed) {
                    return;
                }
                inputClosed = true;
                ungranted += buffered;
                dropInput();
                grant = end == null && !inputEof ? takeGrantIfDue() : 0;
                readable.signalAll();
            } finally {
                channel.lock.unlock();
            }
            if (grant > 0) {
                channel.sendCredit(Stream.this, grant);
            }
        }
    }

    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            while (len > 0) {
                int n;
                channel.lock.lock();
                try {
                    while (true) {
                        checkWritable();
                        if (sendCredit > 0) {
                            break;
                        }
                        awaitSignal(writable);
                    }
                    n = (int) Math.min(Math.min(len, sendCredit), channel.sendPayload());
                    sendCredit -= n;
                } finally {
                    channel.lock.unlock();
                }
                channel.sendData(Stream.this, b, off, n);
                off += n;
                len -= n;
            }
        }

        /** Sends EOF. */
        @Override
        public void close() throws IOException {
            closeOutput();
        }
    }

    /**
     * Waits on a condition of channel.lock; an interrupt becomes an {@link InterruptedIOException}, the
     * flag kept, as blocking I/O does.
     */
    private static void awaitSignal(Condition condition) throws InterruptedIOException {
        try {
            condition.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on a channel stream");
        }
    }
}
