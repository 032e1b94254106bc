package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The agent's end of its virtio-serial port, open for the agent's whole life, cut into one session per
 * host connection. The port is not a socket:
 * <ul>
 *   <li>it takes one opener at a time, and a file whose write blocks cannot be closed (the blocked write
 *       holds it), so the port is opened once and never closed;</li>
 *   <li>a read returns 0 (end of file, here -1) whenever no host is connected, at once, and wakes with 0
 *       when the host goes away; a write blocks until a host is connected;</li>
 *   <li>the next host is the same file: what one session's reader takes must never be lost to the next.</li>
 * </ul>
 * So every read goes through one lock, and a session's input ends for good when it is {@link
 * Session#retire retired}: a read of a retired session that was already waiting in the kernel hands what
 * it got to the next session instead of the old channel.
 */
final class SerialLine {
    /** The port: reads may return -1 while no host is connected and data again later. */
    private final InputStream port;
    private final OutputStream out;
    private final ReentrantLock readLock = new ReentrantLock();
    /** Bytes a retired session read, for the next one. Guarded by readLock. */
    private byte[] pending = new byte[0];

    SerialLine(InputStream port, OutputStream out) {
        this.port = port;
        this.out = out;
    }

    /** A new session's input: what the host sends until it goes away. */
    Session session() {
        return new Session();
    }

    /** The port's output for a channel: closing it leaves the port open (the next host writes through it too). */
    OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() {
                // the port stays open
            }
        };
    }

    /** One host connection's bytes; -1 once the host went away (or the session was retired). */
    final class Session extends InputStream {
        private volatile boolean retired;
        private boolean ended;

        /** Ends this session's input: its reads return -1, and bytes a waiting read still gets go to the next session. */
        void retire() {
            retired = true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n <= 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            readLock.lock();
            try {
                if (retired || ended) {
                    return -1;
                }
                if (pending.length > 0) {
                    int n = Math.min(len, pending.length);
                    System.arraycopy(pending, 0, b, off, n);
                    pending = Arrays.copyOfRange(pending, n, pending.length);
                    return n;
                }
                int n = port.read(b, off, len);
                if (n <= 0) {
                    ended = true; // the host went away (or is not there yet)
                    return -1;
                }
                if (retired) {
                    pending = Arrays.copyOfRange(b, off, off + n);
                    return -1;
                }
                return n;
            } finally {
                readLock.unlock();
            }
        }

        @Override
        public void close() {
            retire(); // the port stays open
        }
    }
}
