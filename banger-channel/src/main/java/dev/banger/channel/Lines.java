package dev.banger.channel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Short text lines read from a peer that is not trusted to end them: the agent's TCP token, Firecracker's vsock "OK". */
public final class Lines {
    private Lines() {
    }

    /**
     * One line (without its newline) read a byte at a time, so nothing after it is consumed; null when the
     * stream ends first or the line runs past {@code max} bytes.
     */
    public static String readBounded(InputStream in, int max) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (b.size() <= max) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            if (c == '\n') {
                return b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return null;
    }
}
