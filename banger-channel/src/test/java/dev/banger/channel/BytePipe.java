package dev.banger.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded in-memory pipe for tests: writes block while it is full, reads block while it is empty. Unlike
 * java.io's piped streams it lets any number of threads write (the channel writes from several) and
 * closing either end wakes the other.
 */
final class BytePipe {
    private final byte[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int start;
    private int size;
    private boolean writerClosed;
    private boolean readerClosed;

    BytePipe(int capacity) {
        ring = new byte[capacity];
    }

    final InputStream in = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            lock.lock();
            try {
                while (size == 0) {
                    if (readerClosed) {
                        throw new IOException("pipe closed");
                    }
                    if (writerClosed) {
                        return -1;
                    }
                    changed.awaitUninterruptibly();
                }
                int n = Math.min(len, size);
                for (int i = 0; i < n; i++) {
                    b[off + i] = ring[(start + i) % ring.length];
                }
                start = (start + n) % ring.length;
                size -= n;
                changed.signalAll();
                return n;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            shut(true);
        }
    };

    final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                while (len > 0) {
                    if (readerClosed || writerClosed) {
                        throw new IOException("pipe closed");
                    }
                    if (size == ring.length) {
                        changed.awaitUninterruptibly();
                        continue;
                    }
                    int n = Math.min(len, ring.length - size);
                    for (int i = 0; i < n; i++) {
                        ring[(start + size + i) % ring.length] = b[off + i];
                    }
                    size += n;
                    off += n;
                    len -= n;
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            shut(false);
        }
    };

    private void shut(boolean readerSide) {
        lock.lock();
        try {
            if (readerSide) {
                readerClosed = true;
            } else {
                writerClosed = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
