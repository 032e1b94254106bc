package dev.banger.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** One direction of a relayed conversation (a forwarded connection, an exec's stdio): the one copy loop both sides use. */
public final class Relay {
    /** The chunk a relay reads at once: one frame's worth (a channel frame carries up to 64 KiB). */
    public static final int CHUNK = 64 * 1024;

    private Relay() {
    }

    /**
     * Copies {@code in} to {@code out} until {@code in} ends, flushing each chunk as it comes: what was read is sent at
     * once (an interactive request must not wait in a buffer for more).
     */
    public static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[CHUNK];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (n > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
    }
}
