package dev.banger.host.guest;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One request to a VM's guest agent over an {@link AgentConnection}: send one JSON line, read one line
 * back. The guest is untrusted: the reply is cut off at {@link #MAX_REPLY_BYTES}, and the connection's
 * deadline bounds the whole exchange, so a hung or hostile agent costs its caller that long at most, and
 * never more memory.
 */
public final class AgentClient {
    public static final int PORT = 1024;
    public static final int MAX_REPLY_BYTES = 4 << 20;

    private AgentClient() {
    }

    /** The agent's reply line to {@code requestJson} (one line, no newline), or a clear error. */
    public static String call(AgentConnection c, String requestJson) {
        try {
            OutputStream out = c.output();
            out.write((requestJson + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line = readReplyLine(c.input());
            if (line != null) {
                return line;
            }
            throw new IOException("the agent closed the connection without a full reply");
        } catch (IOException e) {
            if (c.timedOut()) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent at " + c.peer()
                        + " did not answer within " + c.timeout().toMillis() + " ms (still starting after a boot? it is started after sshd)");
            }
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot talk to the guest agent at " + c.peer() + ": " + e.getMessage()
                    + " (still starting after a boot, or disabled in this image?)");
        }
    }

    /** {@link #call(AgentConnection, String)} over TCP, the whole exchange within {@code timeout}. */
    public static String call(String address, int port, String requestJson, Duration timeout) {
        try (AgentConnection c = AgentConnection.tcp(address, port, timeout)) {
            return call(c, requestJson);
        }
    }

    /** {@link #call(AgentConnection, String)} over vsock (socat), the whole exchange within {@code timeout}. */
    public static String callVsock(long cid, int port, String requestJson, Duration timeout) {
        try (AgentConnection c = AgentConnection.vsock(cid, port, timeout)) {
            return call(c, requestJson);
        }
    }

    /**
     * The reply: one line without its newline, or null when the stream ends first. Refused once it grows
     * past {@link #MAX_REPLY_BYTES} without a newline: the guest is not trusted.
     */
    private static String readReplyLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (true) {
            int n = in.read(buf);
            if (n < 0) {
                return null;
            }
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    b.write(buf, 0, i);
                    return b.toString(StandardCharsets.UTF_8);
                }
            }
            b.write(buf, 0, n);
            if (b.size() > MAX_REPLY_BYTES) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent's reply exceeds " + (MAX_REPLY_BYTES >> 20)
                        + " MiB: refused (the guest is not trusted)");
            }
        }
    }
}
