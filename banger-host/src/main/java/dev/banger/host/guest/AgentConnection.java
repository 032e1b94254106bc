package dev.banger.host.guest;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A connected byte stream to a VM's guest agent, whatever carries it (TCP to the guest's address, vsock
 * through socat, a Firecracker VM's vsock Unix socket), and bounded in time: it is closed at its deadline,
 * which ends any read or write in progress. The VMM driver that knows the transport opens it
 * ({@code Vmm.openAgent}); nothing else needs to know which it is.
 */
public interface AgentConnection extends AutoCloseable {
    /** The agent's vsock and TCP port (banger-agent's {@code serve} default). */
    int AGENT_PORT = 1024;

    InputStream input();

    OutputStream output();

    /** Where it leads, for messages ("172.29.0.2:1024", "vsock 3:1024"). */
    String peer();

    /** Whether the deadline closed it (a read that ended then timed out rather than met an honest end). */
    boolean timedOut();

    /** How long it was given, from its opening. */
    Duration timeout();

    /**
     * Keeps the connection open past its deadline: for a long-lived channel, once it is established
     * (the deadline then bounded only the connect and the handshake).
     */
    void disarm();

    @Override
    void close();

    /** A Unix socket (a QEMU chardev: the guest agent's virtio-serial port), closed {@code timeout} from now. */
    static AgentConnection unix(Path socket, Duration timeout) {
        java.nio.channels.SocketChannel ch;
        try {
            ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot open a Unix socket: " + e.getMessage(), e);
        }
        Deadline deadline = Deadline.closing(timeout, ch::close);
        try {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            return new Streams(java.nio.channels.Channels.newInputStream(ch), java.nio.channels.Channels.newOutputStream(ch),
                    socket.toString(), deadline);
        } catch (IOException e) {
            deadline.fireNow();
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot reach the guest agent's port " + socket + ": "
                    + e.getMessage() + " (is the VM running?)");
        }
    }

    /** TCP to {@code address}:{@code port}, closed {@code timeout} from now. */
    static AgentConnection tcp(String address, int port, Duration timeout) {
        Socket s = new Socket();
        Deadline deadline = Deadline.closing(timeout, s::close);
        try {
            s.connect(new InetSocketAddress(address, port), (int) Math.max(1, timeout.toMillis()));
            return new Streams(s.getInputStream(), s.getOutputStream(), address + ":" + port, deadline);
        } catch (IOException e) {
            deadline.cancel();
            try {
                s.close();
            } catch (IOException ignored) {
                // failing anyway
            }
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot reach the guest agent at " + address + ":" + port + ": "
                    + (deadline.fired() ? "no connection within " + timeout.toMillis() + " ms" : e.getMessage())
                    + " (still starting after a boot, or disabled in this image?)");
        }
    }

    /**
     * vsock to guest CID {@code cid}, {@code port}, through socat's VSOCK-CONNECT (an argv; the JDK has no
     * AF_VSOCK); socat is killed at the deadline.
     */
    static AgentConnection vsock(long cid, int port, Duration timeout) {
        Process p;
        try {
            p = dev.banger.host.SystemPath.apply(new ProcessBuilder("socat", "-T", Long.toString(Math.max(1, timeout.toSeconds())), "-",
                    "VSOCK-CONNECT:" + cid + ":" + port)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.MISSING_DEPENDENCY, "cannot run socat for vsock (install socat): " + e.getMessage());
        }
        Deadline deadline = Deadline.closing(timeout, p::destroyForcibly);
        return new Streams(p.getInputStream(), p.getOutputStream(), "vsock " + cid + ":" + port, deadline) {
            @Override
            public void close() {
                super.close();
                p.destroyForcibly();
            }
        };
    }

    /** A Firecracker guest's vsock {@code port} through the VM's vsock Unix socket ({@link FirecrackerVsock}). */
    static AgentConnection firecracker(Path udsPath, int port, Duration timeout) {
        return FirecrackerVsock.connect(udsPath, port, timeout);
    }

    /** Streams closed by a {@link Deadline} (and by {@link #close}). */
    class Streams implements AgentConnection {
        private final InputStream in;
        private final OutputStream out;
        private final String peer;
        private final Deadline deadline;

        Streams(InputStream in, OutputStream out, String peer, Deadline deadline) {
            this.in = in;
            this.out = out;
            this.peer = peer;
            this.deadline = deadline;
        }

        @Override
        public InputStream input() {
            return in;
        }

        @Override
        public OutputStream output() {
            return out;
        }

        @Override
        public String peer() {
            return peer;
        }

        @Override
        public boolean timedOut() {
            return deadline.fired();
        }

        @Override
        public Duration timeout() {
            return deadline.timeout();
        }

        @Override
        public void disarm() {
            deadline.cancel();
        }

        @Override
        public void close() {
            deadline.fireNow();
        }
    }
}
