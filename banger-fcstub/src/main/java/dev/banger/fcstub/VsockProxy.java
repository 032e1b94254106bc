package dev.banger.fcstub;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host side of Firecracker's vsock device: a Unix socket at uds_path where the host connects and
 * asks for a guest port with {@code CONNECT <port>\n}. Firecracker answers {@code OK <host port>\n} once
 * the guest accepted, and then carries bytes both ways; when nothing listens in the guest it just closes
 * the connection. The emulated guest has no vsock device, so a {@link Route} says where each guest port
 * is reached instead: banger's agent port by the guest's virtio-serial port (a Unix socket of QEMU's,
 * which needs no guest network, as vsock needs none), any other port by TCP to the guest's address.
 *
 * <p>Like Firecracker, the socket is bound when the device is configured (PUT /vsock) and connections
 * are served once the guest runs ({@link #serve}); until then they wait in the listen backlog.
 */
final class VsockProxy implements AutoCloseable {
    static final int CONNECT_TIMEOUT_MS = 3_000;
    /** "CONNECT 4294967295\n" is 19 bytes; a longer first line is not a handshake. */
    static final int MAX_HANDSHAKE = 32;
    private static final Pattern CONNECT = Pattern.compile("CONNECT ([0-9]{1,10})");

    /** Where a guest port is reached: a Unix socket (a QEMU chardev) or a TCP address; empty: nowhere. */
    @FunctionalInterface
    interface Route {
        Optional<SocketAddress> to(int guestPort);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** The host-side port an OK names: Firecracker's muxer numbers them upward from 2^30. */
    private final AtomicInteger nextLocalPort = new AtomicInteger(1 << 30);

    private VsockProxy(Path path, ServerSocketChannel server) {
        this.path = path;
        this.server = server;
    }

    /** Binds {@code path} (which must not exist yet). */
    static VsockProxy bind(Path path) throws Fault {
        try {
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                s.bind(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                s.close();
                throw e;
            }
            return new VsockProxy(path, s);
        } catch (IOException e) {
            throw new Fault("Cannot create backend for vsock device: Error binding to the host-side Unix socket "
                    + path + ": " + e.getMessage());
        }
    }

    Path path() {
        return path;
    }

    /** Starts accepting: each connection gets its handshake and, if the guest answers, its splice. */
    void serve(Route route) {
        Thread.ofVirtual().name("fcstub-vsock-accept").start(() -> {
            while (!closed) {
                SocketChannel c;
                try {
                    c = server.accept();
                } catch (IOException e) {
                    if (!closed) {
                        System.err.println("fcstub: vsock accept on " + path + " failed: " + e.getMessage());
                    }
                    return;
                }
                open.add(c);
                Thread.ofVirtual().name("fcstub-vsock-conn").start(() -> handle(c, route));
            }
        });
    }

    /** The port of a handshake line ("CONNECT 52"), if it is one and names a TCP port. */
    static OptionalInt parseConnect(String line) {
        Matcher m = CONNECT.matcher(line);
        if (!m.matches()) {
            return OptionalInt.empty();
        }
        long port = Long.parseLong(m.group(1));
        return port >= 1 && port <= 65_535 ? OptionalInt.of((int) port) : OptionalInt.empty();
    }

    private void handle(SocketChannel host, Route route) {
        SocketChannel tcp = null;
        try {
            Optional<String> line = readLine(host);
            OptionalInt port = line.map(VsockProxy::parseConnect).orElse(OptionalInt.empty());
            Optional<SocketAddress> target = port.isPresent() ? route.to(port.getAsInt()) : Optional.empty();
            if (target.isEmpty()) {
                return; // not a handshake, or no guest to forward to: Firecracker just closes
            }
            tcp = SocketChannel.open(target.get() instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET);
            open.add(tcp);
            try {
                connect(tcp, target.get());
            } catch (IOException e) {
                return; // nothing listens on that port in the guest
            }
            write(host, "OK " + nextLocalPort.getAndIncrement() + "\n");
            splice(host, tcp);
        } catch (IOException e) {
            // either side went away
        } finally {
            closeQuietly(host);
            closeQuietly(tcp);
            open.remove(host);
            if (tcp != null) {
                open.remove(tcp);
            }
        }
    }

    private static void connect(SocketChannel c, SocketAddress target) throws IOException {
        if (target instanceof InetSocketAddress) {
            c.socket().connect(target, CONNECT_TIMEOUT_MS); // the socket adaptor's connect is the one with a timeout
        } else {
            c.connect(target); // a Unix socket connects at once or is refused
        }
    }

    /** Reads up to '\n', one byte at a time so no byte after it is taken from the stream. */
    private static Optional<String> readLine(SocketChannel c) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < MAX_HANDSHAKE) {
            one.clear();
            if (c.read(one) < 0) {
                return Optional.empty();
            }
            char ch = (char) (one.get(0) & 0xff);
            if (ch == '\n') {
                return Optional.of(sb.toString());
            }
            sb.append(ch);
        }
        return Optional.empty();
    }

    private static void write(SocketChannel c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /**
     * Copies both ways; an end of stream on one side becomes a half-close on the other. Plain channel
     * reads and writes: a SocketChannel may be read by one thread while another writes it.
     */
    private static void splice(SocketChannel host, SocketChannel tcp) {
        Thread toGuest = Thread.ofVirtual().name("fcstub-vsock-h2g").start(() -> copy(host, tcp));
        copy(tcp, host);
        try {
            toGuest.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side failed: end both, the other copy then ends too
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        open.forEach(VsockProxy::closeQuietly);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            System.err.println("fcstub: cannot remove " + path + ": " + e.getMessage());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
