package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A vsock listener for the agent through libc (Java has no AF_VSOCK): socket, bind to any CID on a
 * port, listen, accept; each accepted connection is a file descriptor read and written through libc too.
 * Used where the VMM offers vsock (Firecracker always; QEMU with vhost-vsock): only the host (CID 2)
 * can connect, so the agent serves vsock clients without the gateway check TCP needs.
 */
final class Vsock {
    static final int AF_VSOCK = 40;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int VMADDR_CID_ANY = -1;
    static final int VMADDR_CID_HOST = 2;
    /** struct sockaddr_vm: family (u16), reserved (u16), port (u32), cid (u32), flags + zero (4 bytes). */
    static final int SOCKADDR_VM_SIZE = 16;

    private static final MethodHandle SOCKET = call("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = call("bind", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LISTEN = call("listen", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle ACCEPT = call("accept4", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = call("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = call("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Vsock() {
    }

    /** A listening vsock socket on {@code port} (any CID); throws when this kernel or VM has no vsock. */
    static int listen(int port) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.state(arena);
            int fd = (int) SOCKET.invokeExact(state, AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
            check(fd, state, "socket(AF_VSOCK)");
            MemorySegment addr = sockaddr(arena, VMADDR_CID_ANY, port);
            int rc = (int) BIND.invokeExact(state, fd, addr, SOCKADDR_VM_SIZE);
            if (rc < 0) {
                closeQuietly(fd);
                check(rc, state, "bind(vsock port " + port + ")");
            }
            rc = (int) LISTEN.invokeExact(state, fd, 64);
            if (rc < 0) {
                closeQuietly(fd);
                check(rc, state, "listen(vsock)");
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /** An accepted connection: its descriptor and the peer's CID. */
    record Accepted(int fd, int peerCid) {
    }

    static Accepted accept(int listener) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.state(arena);
            MemorySegment addr = arena.allocate(SOCKADDR_VM_SIZE);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, SOCKADDR_VM_SIZE);
            int fd = (int) ACCEPT.invokeExact(state, listener, addr, len, SOCK_CLOEXEC);
            check(fd, state, "accept(vsock)");
            return new Accepted(fd, addr.get(ValueLayout.JAVA_INT, 8));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /** struct sockaddr_vm for {@code cid}:{@code port}. */
    static MemorySegment sockaddr(Arena arena, int cid, int port) {
        MemorySegment a = arena.allocate(SOCKADDR_VM_SIZE);
        a.set(ValueLayout.JAVA_SHORT, 0, (short) AF_VSOCK);
        a.set(ValueLayout.JAVA_INT, 4, port);
        a.set(ValueLayout.JAVA_INT, 8, cid);
        return a;
    }

    /** Streams over a descriptor (a vsock connection, or any socket: the tests use a socketpair). */
    static InputStream input(int fd) {
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
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment state = Libc.state(arena);
                    MemorySegment buf = arena.allocate(len);
                    long n = (long) READ.invokeExact(state, fd, buf, (long) len);
                    check(n, state, "read");
                    if (n == 0) {
                        return -1;
                    }
                    MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
                    return (int) n;
                } catch (IOException | RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IOException(t);
                }
            }
        };
    }

    static OutputStream output(int fd) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment state = Libc.state(arena);
                    MemorySegment buf = arena.allocate(Math.max(1, len));
                    MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, len);
                    long done = 0;
                    while (done < len) {
                        long n = (long) WRITE.invokeExact(state, fd, buf.asSlice(done), (long) (len - done));
                        check(n, state, "write");
                        done += n;
                    }
                } catch (IOException | RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IOException(t);
                }
            }
        };
    }

    static void closeQuietly(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(Libc.state(arena), fd);
        } catch (Throwable t) {
            // closing
        }
    }

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        return Libc.function(name, fd);
    }

    private static void check(long rc, MemorySegment state, String what) throws IOException {
        Libc.check(rc, state, what);
    }
}
