package dev.banger.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A pseudo-terminal for a command run with a tty (libc's {@code posix_openpt}, {@code grantpt},
 * {@code unlockpt}, {@code ptsname_r} through FFM): the agent keeps the master, the command gets the slave
 * (by its path, {@link #slave()}) as stdin, stdout, stderr and controlling terminal.
 *
 * <p>The master is non-blocking and every wait on it is a {@code poll} of at most {@link #POLL_MILLIS}, so
 * that {@link #stop()} and {@link #close()} take effect within that time even while a process the command
 * left behind still holds the slave (a blocking read would then never end, and closing a descriptor another
 * thread is reading is a race with its reuse). The descriptor is closed only under the write lock, never
 * while a read, write or resize is using it.
 */
final class Pty implements AutoCloseable {
    static final int POLL_MILLIS = 200;
    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0x100;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final long TIOCSWINSZ = 0x5414;
    private static final short POLLIN = 0x1;
    private static final short POLLOUT = 0x4;
    private static final int CHUNK = 32 * 1024;

    private static final Libc.Fn OPENPT = Libc.fn("posix_openpt");
    private static final Libc.Fn GRANTPT = Libc.fn("grantpt");
    private static final Libc.Fn UNLOCKPT = Libc.fn("unlockpt");
    private static final Libc.Fn PTSNAME = Libc.fn("ptsname_r");
    private static final Libc.Fn POLL = Libc.fn("poll");

    private final int master;
    private final String slave;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;
    private volatile boolean stopped;

    private Pty(int master, String slave) {
        this.master = master;
        this.slave = slave;
    }

    /** A new terminal of {@code rows} x {@code cols}. */
    static Pty open(int rows, int cols) throws IOException {
        Pty pty = allocate();
        try {
            pty.resize(rows, cols);
            return pty;
        } catch (IOException | RuntimeException e) {
            pty.close();
            throw e;
        }
    }

    private static Pty allocate() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            int fd = (int) OPENPT.call(state, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
            Libc.check(fd, state, "posix_openpt");
            try {
                Libc.check((int) GRANTPT.call(state, fd), state, "grantpt");
                Libc.check((int) UNLOCKPT.call(state, fd), state, "unlockpt");
                MemorySegment name = arena.allocate(128);
                int rc = (int) PTSNAME.call(state, fd, name.address(), name.byteSize());
                if (rc != 0) {
                    throw new IOException("ptsname_r failed: errno " + rc);
                }
                return new Pty(fd, name.getString(0));
            } catch (IOException | RuntimeException | Error e) {
                Libc.CLOSE.call(state, fd);
                throw e;
            }
        }
    }

    /** The slave's path (/dev/pts/N): what the command opens as its terminal. */
    String slave() {
        return slave;
    }

    /** Sets the window size; the kernel tells the terminal's foreground process group (SIGWINCH). */
    void resize(int rows, int cols) throws IOException {
        lock.readLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            if (closed) {
                return;
            }
            MemorySegment state = Libc.errnoState(arena);
            // struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel (unsigned short each)
            MemorySegment size = arena.allocate(8);
            size.set(ValueLayout.JAVA_SHORT, 0, (short) rows);
            size.set(ValueLayout.JAVA_SHORT, 2, (short) cols);
            Libc.check(Libc.ioctl(state, master, TIOCSWINSZ, size), state, "ioctl(TIOCSWINSZ)");
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The terminal's next output into {@code into}: its length, or -1 once every process has closed the slave
     * (the kernel's EIO), or once {@link #stop()} or {@link #close()} was called. One reader at a time.
     */
    int read(byte[] into) throws IOException {
        int want = Math.min(into.length, CHUNK);
        while (true) {
            lock.readLock().lock();
            try (Arena arena = Arena.ofConfined()) {
                if (closed || stopped) {
                    return -1;
                }
                MemorySegment state = Libc.errnoState(arena);
                if (!await(arena, state, POLLIN)) {
                    continue;
                }
                MemorySegment buf = arena.allocate(want);
                long n = Libc.READ.call(state, master, buf.address(), want);
                if (n > 0) {
                    MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, into, 0, (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                int errno = Libc.errno(state);
                if (errno == Libc.EIO) {
                    return -1; // no process holds the slave any more
                }
                if (errno != Libc.EAGAIN && errno != Libc.EINTR) {
                    throw new IOException("read from the terminal failed: errno " + errno);
                }
            } finally {
                lock.readLock().unlock();
            }
        }
    }

    /** Types {@code len} bytes into the terminal, waiting while its input queue is full. */
    void write(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            lock.readLock().lock();
            try (Arena arena = Arena.ofConfined()) {
                if (closed || stopped) {
                    throw new IOException("the terminal is closed");
                }
                MemorySegment state = Libc.errnoState(arena);
                MemorySegment buf = arena.allocate(len - done);
                MemorySegment.copy(b, off + done, buf, ValueLayout.JAVA_BYTE, 0, len - done);
                long n = Libc.WRITE.call(state, master, buf.address(), len - done);
                if (n > 0) {
                    done += (int) n;
                } else if (n < 0) {
                    int errno = Libc.errno(state);
                    if (errno == Libc.EAGAIN) {
                        boolean ignored = await(arena, state, POLLOUT);
                    } else if (errno != Libc.EINTR) {
                        throw new IOException("write to the terminal failed: errno " + errno);
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
        }
    }

    /** Whether the master became ready for {@code events} within {@link #POLL_MILLIS}. */
    private boolean await(Arena arena, MemorySegment state, short events) throws IOException {
        // struct pollfd: int fd, short events, short revents
        MemorySegment pfd = arena.allocate(8);
        pfd.set(ValueLayout.JAVA_INT, 0, master);
        pfd.set(ValueLayout.JAVA_SHORT, 4, events);
        int rc = (int) POLL.call(state, pfd.address(), 1, POLL_MILLIS);
        if (rc < 0 && Libc.errno(state) != Libc.EINTR) {
            throw new IOException("poll on the terminal failed: errno " + Libc.errno(state));
        }
        return rc > 0;
    }

    /** Ends reads (they return -1) and writes within {@link #POLL_MILLIS}, the descriptor still open. */
    void stop() {
        stopped = true;
    }

    /**
     * Closes the master: the kernel hangs the terminal up, so processes still on it get SIGHUP (as when an
     * ssh session's terminal goes away). Waits for a read or write in progress to end (at most a poll).
     */
    @Override
    public void close() {
        stopped = true;
        lock.writeLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            if (!closed) {
                closed = true;
                Libc.CLOSE.call(Libc.errnoState(arena), master);
            }
        } catch (Throwable t) {
            // closing anyway
        } finally {
            lock.writeLock().unlock();
        }
    }
}
