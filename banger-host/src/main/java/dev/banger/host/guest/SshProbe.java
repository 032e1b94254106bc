package dev.banger.host.guest;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Whether a guest's sshd answers: a TCP connection to port 22 that sends an SSH identification line. */
public final class SshProbe {
    private SshProbe() {
    }

    /**
     * One attempt: a connection within {@code connectTimeout}, then the banner within {@code bannerTimeout}.
     * Keep the first short (before the guest's network is up, a connect hangs until it times out, which
     * only delays noticing the boot) and the second generous (every accepted connection costs the guest
     * an sshd process, so giving up on a slow banner and reconnecting only makes it slower).
     */
    public static boolean answers(String address, Duration connectTimeout, Duration bannerTimeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, 22), (int) connectTimeout.toMillis());
            s.setSoTimeout((int) bannerTimeout.toMillis());
            InputStream in = s.getInputStream();
            byte[] banner = in.readNBytes(8); // the guest is untrusted: read no more than we need
            return new String(banner, StandardCharsets.US_ASCII).startsWith("SSH-2.0-");
        } catch (IOException e) {
            return false;
        }
    }
}
