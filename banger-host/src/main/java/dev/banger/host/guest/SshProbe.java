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

    /** One attempt, bounded by {@code timeout} for the connection and the banner together. */
    public static boolean answers(String address, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, 22), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            InputStream in = s.getInputStream();
            byte[] banner = in.readNBytes(8); // the guest is untrusted: read no more than we need
            return new String(banner, StandardCharsets.US_ASCII).startsWith("SSH-2.0-");
        } catch (IOException e) {
            return false;
        }
    }
}
