package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    private static final Libc.Fn SOCKET = Libc.fn("socket");
    private static final Libc.Fn BIND = Libc.fn("bind");
    private static final Libc.Fn LISTEN = Libc.fn("listen");
    private static final Libc.Fn ACCEPT = Libc.fn("accept4");

    private Vsock() {
    }

    /** A listening vsock socket on {@code port} (any CID); throws when this kernel or VM has no vsock. */
    static int listen(int port) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            int fd = (int) SOCKET.call(state, AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
            Libc.check(fd, state, "socket(AF_VSOCK)");
            MemorySegment addr = sockaddr(arena, VMADDR_CID_ANY, port);
            int rc = (int) BIND.call(state, fd, addr.address(), SOCKADDR_VM_SIZE);
            if (rc < 0) {
                closeQuietly(fd);
                Libc.check(rc, state, "bind(vsock port " + port + ")");
            }
            rc = (int) LISTEN.call(state, fd, 64);
            if (rc < 0) {
                closeQuietly(fd);
                Libc.check(rc, state, "listen(vsock)");
            }
            return fd;
        }
    }

    /** An accepted connection: its descriptor and the peer's CID. */
    record Accepted(int fd, int peerCid) {
    }

    static Accepted accept(int listener) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment addr = arena.allocate(SOCKADDR_VM_SIZE);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, SOCKADDR_VM_SIZE);
            int fd = (int) ACCEPT.call(state, listener, addr.address(), len.address(), SOCK_CLOEXEC);
            Libc.check(fd, state, "accept(vsock)");
            return new Accepted(fd, addr.get(ValueLayout.JAVA_INT, 8));
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

    /** Streams over a connection's descriptor (Fds: read and written through libc). */
    static InputStream input(int fd) {
        return Fds.input(fd);
    }

    static OutputStream output(int fd) {
        return Fds.output(fd);
    }

    static void closeQuietly(int fd) {
        Fds.close(fd);
    }
}
