package dev.banger.daemon.publish;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Copies one direction of a forwarded connection. */
final class Pump {
    static final int CHUNK = 32 * 1024;

    private Pump() {
    }

    /** Copies {@code in} to {@code out} until {@code in} ends, flushing each chunk (a request must not wait in a buffer). */
    static void copy(InputStream in, OutputStream out) throws IOException {
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
