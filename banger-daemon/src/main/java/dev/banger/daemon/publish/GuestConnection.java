package dev.banger.daemon.publish;

import dev.banger.api.VmRecord;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.Map;

/**
 * One TCP connection to a port of a running guest, by the paths published ports take ({@link TcpForwarder}): directly
 * to the guest's address over the bridge when the service accepts there, else a {@code connect} stream through its agent
 * (a service on the guest's loopback). For a caller that relays one connection (the E2B listener's {@code getHost}).
 */
public final class GuestConnection implements AutoCloseable {
    private final SocketChannel direct;
    private final Stream stream;
    private final InputStream input;
    private final OutputStream output;

    private GuestConnection(SocketChannel direct, Stream stream) {
        this.direct = direct;
        this.stream = stream;
        this.input = direct != null ? Channels.newInputStream(direct) : stream.input();
        this.output = direct != null ? Channels.newOutputStream(direct) : stream.output();
    }

    /** Connects to {@code port} of running {@code vm}; throws a BangerException when its agent cannot be reached either. */
    public static GuestConnection open(VmRecord vm, int port, GuestStreams guest) {
        SocketChannel direct = connectDirect(vm.runtime().guestIp(), port, TcpForwarder.DIRECT_CONNECT_TIMEOUT_MILLIS);
        return direct != null ? new GuestConnection(direct, null)
                : new GuestConnection(null, guest.open(vm, Map.of("op", "connect", "port", port)));
    }

    /** A connection over a socket already connected to the service (tests: a service on the host). */
    public static GuestConnection wrap(SocketChannel socket) {
        return new GuestConnection(socket, null);
    }

    /** A TCP connection to {@code ip:port} within {@code timeoutMillis}; null when none answers there (refused, no route). */
    static SocketChannel connectDirect(String ip, int port, int timeoutMillis) {
        if (ip == null || ip.isEmpty()) {
            return null;
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(new InetSocketAddress(ip, port), timeoutMillis);
            return ch;
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing a failed connect
                }
            }
            return null;
        }
    }

    public InputStream input() {
        return input;
    }

    public OutputStream output() {
        return output;
    }

    /** Half-closes: the guest's service reads the end of its input; its answer still comes. */
    public void closeOutput() throws IOException {
        if (direct != null) {
            direct.shutdownOutput();
        } else {
            stream.closeOutput();
        }
    }

    /** Whether the agent said the connection failed (nothing listens on the guest's port); false on the direct path. */
    public boolean refused() {
        return stream != null && stream.end().map(end -> end.status() != 0).orElse(false);
    }

    @Override
    public void close() {
        if (direct != null) {
            try {
                direct.close();
            } catch (IOException e) {
                // already closed
            }
        } else {
            stream.close(0, "closed");
        }
    }
}
