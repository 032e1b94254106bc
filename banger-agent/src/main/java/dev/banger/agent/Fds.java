package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Streams over a file descriptor the agent holds itself (a vsock connection, a spawned command's pipe),
 * read and written through libc. Reads block in native code: use them on platform threads (a virtual
 * thread would pin its carrier). Closing a stream closes its descriptor, once.
 */
final class Fds {
    private Fds() {
    }

    static InputStream input(int fd) {
        AtomicBoolean closed = new AtomicBoolean();
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (closed.get()) {
                    throw new IOException("closed");
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment state = Libc.errnoState(arena);
                    MemorySegment buf = arena.allocate(len);
                    while (true) {
                        long n = Libc.READ.call(state, fd, buf.address(), len);
                        if (n < 0 && Libc.errno(state) == Libc.EINTR) {
                            continue;
                        }
                        Libc.check(n, state, "read");
                        if (n == 0) {
                            return -1;
                        }
                        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
                        return (int) n;
                    }
                }
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    Fds.close(fd);
                }
            }
        };
    }

    static OutputStream output(int fd) {
        AtomicBoolean closed = new AtomicBoolean();
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (closed.get()) {
                    throw new IOException("closed");
                }
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment state = Libc.errnoState(arena);
                    MemorySegment buf = arena.allocate(Math.max(1, len));
                    MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, len);
                    long done = 0;
                    while (done < len) {
                        long n = Libc.WRITE.call(state, fd, buf.address() + done, len - done);
                        if (n < 0 && Libc.errno(state) == Libc.EINTR) {
                            continue;
                        }
                        Libc.check(n, state, "write");
                        done += n;
                    }
                }
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    Fds.close(fd);
                }
            }
        };
    }

    static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Libc.CLOSE.call(Libc.errnoState(arena), fd);
        } catch (Throwable t) {
            // closing anyway
        }
    }
}
