package dev.banger.channel;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Typed records inside one {@link Stream}: {@code [type u8][length u32][payload]}, for a conversation that
 * carries more than one kind of data over one stream (an exec's stdin, stdout, stderr, resizes, signals
 * and exit status). A record's payload is at most {@link #MAX_PAYLOAD}; a longer one, or a stream that
 * ends inside a record, is a protocol error ({@link IOException}), never an allocation the peer chose.
 * Which types exist is the conversation's own (see {@link Exec}).
 */
public final class Records {
    public static final int MAX_PAYLOAD = 64 * 1024;
    private static final int HEADER = 5;

    /** One record. */
    public record Record(int type, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private Records() {
    }

    /** Writes one record; the payload must fit {@link #MAX_PAYLOAD}. */
    public static void write(OutputStream out, int type, byte[] payload, int off, int len) throws IOException {
        if (type < 0 || type > 255 || len < 0 || len > MAX_PAYLOAD) {
            throw new IllegalArgumentException("record type " + type + " or length " + len + " out of range");
        }
        byte[] header = {(byte) type, (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len};
        out.write(header);
        if (len > 0) {
            out.write(payload, off, len);
        }
    }

    public static void write(OutputStream out, int type, byte[] payload) throws IOException {
        write(out, type, payload, 0, payload.length);
    }

    public static void writeText(OutputStream out, int type, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        write(out, type, b, 0, Math.min(b.length, MAX_PAYLOAD));
    }

    /** The next record, or null when the stream ended cleanly between records. */
    public static Record read(InputStream in) throws IOException {
        byte[] header = new byte[HEADER];
        int n = in.readNBytes(header, 0, HEADER);
        if (n == 0) {
            return null;
        }
        if (n < HEADER) {
            throw new EOFException("the stream ended inside a record header");
        }
        int type = header[0] & 0xff;
        long len = ((header[1] & 0xffL) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        if (len > MAX_PAYLOAD) {
            throw new IOException("a record of " + len + " bytes: more than the " + MAX_PAYLOAD + " a record may hold");
        }
        byte[] payload = in.readNBytes((int) len);
        if (payload.length < len) {
            throw new EOFException("the stream ended inside a record of " + len + " bytes");
        }
        return new Record(type, payload);
    }

    /** A u32, big-endian, as a payload. */
    public static byte[] u32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** The u32 a 4-byte payload holds; IOException for any other length. */
    public static int u32(byte[] payload) throws IOException {
        if (payload.length != 4) {
            throw new IOException("a 4-byte number was expected, got " + payload.length + " bytes");
        }
        return ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8) | (payload[3] & 0xff);
    }
}
