package dev.banger.host.guest;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One request to a VM's guest agent over TCP (the transport where the VMM offers no vsock): connect,
 * send one JSON line, read one line back. The guest is untrusted: the reply is cut off at
 * {@link #MAX_REPLY_BYTES} and the whole exchange at the given timeout, so a hung or hostile agent
 * costs its caller that long at most, and never more memory.
 */
public final class AgentClient {
    public static final int PORT = 1024;
    public static final int MAX_REPLY_BYTES = 4 << 20;

    private AgentClient() {
    }

    /** The agent's reply line to {@code requestJson} (one line, no newline), or a clear error. */
    public static String call(String address, int port, String requestJson, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), (int) Math.max(1, timeout.toMillis()));
            OutputStream out = s.getOutputStream();
            out.write((requestJson + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            // Each read may wait only for what is left of the deadline.
            String line = readReplyLine(s.getInputStream(), () -> {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new SocketTimeoutException();
                }
                s.setSoTimeout((int) left);
            });
            if (line == null) {
                throw new IOException("the agent closed the connection without a full reply");
            }
            return line;
        } catch (SocketTimeoutException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent at " + address + ":" + port + " did not answer within "
                    + timeout.toMillis() + " ms (still starting after a boot? it is started after sshd)");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot reach the guest agent at " + address + ":" + port + ": "
                    + e.getMessage() + " (still starting after a boot, or disabled in this image?)");
        }
    }

    /**
     * The same exchange over vsock (guest CID {@code cid}, {@code port}), through socat's VSOCK-CONNECT
     * (an argv; the JDK has no AF_VSOCK). The reply is bounded as over TCP; socat is killed at the timeout.
     */
    public static String callVsock(long cid, int port, String requestJson, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder("socat", "-T", Long.toString(Math.max(1, timeout.toSeconds())), "-",
                    "VSOCK-CONNECT:" + cid + ":" + port).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot run socat for vsock (install socat): " + e.getMessage());
        }
        Thread killer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                p.destroyForcibly();
            } catch (InterruptedException e) {
                // finished in time
            }
        });
        try (OutputStream out = p.getOutputStream(); InputStream in = p.getInputStream()) {
            out.write((requestJson + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            // The killer thread bounds the wait: socat dies at the timeout, which ends the stream.
            String line = readReplyLine(in, () -> { });
            if (line != null) {
                return line;
            }
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent at vsock " + cid + ":" + port
                    + " did not answer within " + timeout.toMillis() + " ms (still starting after a boot?)");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot reach the guest agent at vsock " + cid + ":" + port + ": "
                    + e.getMessage());
        } finally {
            killer.interrupt();
            p.destroyForcibly();
        }
    }

    /**
     * The same exchange through a Firecracker VM's vsock Unix socket ({@code CONNECT port} handshake,
     * {@link FirecrackerVsock}); the connection is closed at the timeout, which ends the read.
     */
    public static String callFirecrackerVsock(java.nio.file.Path udsPath, int port, String requestJson, Duration timeout) {
        try (FirecrackerVsock v = FirecrackerVsock.connect(udsPath, port, timeout)) {
            v.output().write((requestJson + "\n").getBytes(StandardCharsets.UTF_8));
            v.output().flush();
            String line = readReplyLine(v.input(), () -> { });
            if (line != null) {
                return line;
            }
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent at vsock port " + port + " through " + udsPath
                    + " closed the connection or did not answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot reach the guest agent through " + udsPath + ": "
                    + e.getMessage());
        }
    }

    /** An action that may throw, run before each read (to bound it in time). */
    private interface BeforeRead {
        void run() throws IOException;
    }

    /**
     * The reply: one line without its newline, or null when the stream ends first. Refused once it grows
     * past {@link #MAX_REPLY_BYTES} without a newline: the guest is not trusted.
     */
    private static String readReplyLine(InputStream in, BeforeRead beforeRead) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (true) {
            beforeRead.run();
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
                throw new BangerException(ErrorCode.INTERNAL, "the guest agent's reply exceeds " + (MAX_REPLY_BYTES >> 20)
                        + " MiB: refused (the guest is not trusted)");
            }
        }
    }
}
