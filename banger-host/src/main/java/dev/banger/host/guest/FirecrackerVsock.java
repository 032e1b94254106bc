package dev.banger.host.guest;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.channel.Lines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A connection to a port in a Firecracker guest over vsock: Firecracker exposes the guest's vsock as a
 * Unix socket on the host (the VM's VSockPath); a client connects to it, writes {@code CONNECT <port>\n}
 * and Firecracker answers {@code OK <host-side port>\n} once the guest accepted, after which the stream
 * is the guest connection. A guest that does not accept makes Firecracker close the socket. The whole
 * exchange is bounded by the connection's deadline, the handshake reply by size.
 */
public final class FirecrackerVsock {
    private static final Pattern OK = Pattern.compile("OK [0-9]{1,10}");
    private static final int MAX_HANDSHAKE_LINE = 64;

    private FirecrackerVsock() {
    }

    /** Connects through {@code udsPath} to guest port {@code port}; the connection dies at {@code timeout} from now. */
    public static AgentConnection connect(Path udsPath, int port, Duration timeout) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot open a Unix socket: " + e.getMessage(), e);
        }
        AgentConnection v = new AgentConnection.Streams(Channels.newInputStream(ch), Channels.newOutputStream(ch),
                "vsock port " + port + " through " + udsPath, Deadline.closing(timeout, ch::close));
        try {
            ch.connect(UnixDomainSocketAddress.of(udsPath));
            OutputStream out = v.output();
            out.write(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String reply = Lines.readBounded(v.input(), MAX_HANDSHAKE_LINE);
            if (reply == null || !OK.matcher(reply).matches()) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest did not accept vsock port " + port + " through "
                        + udsPath + (reply == null ? " (Firecracker closed the connection: nothing listens there yet?)"
                        : " (Firecracker answered '" + dev.banger.core.Text.printable(reply, 40) + "')"));
            }
            return v;
        } catch (IOException e) {
            v.close();
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot reach guest vsock port " + port + " through " + udsPath
                    + ": " + (v.timedOut() ? "no answer within " + timeout.toMillis() + " ms" : e.getMessage()), e);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }
}
