package dev.banger.channel;

import java.util.Optional;

/**
 * The payload of HELLO and HELLO_ACK: what each side speaks and accepts. Layout (big-endian):
 * <pre>
 *   u16 newest protocol spoken     u16 oldest protocol spoken
 *   u32 maximum payload accepted   u32 receive window per stream (initial credit the peer gets)
 *   u64 nonce (HELLO: random; HELLO_ACK: the HELLO's, echoed)
 *   u16 software length, then that many bytes of UTF-8 (at most {@link #MAX_SOFTWARE})
 *   anything after: fields of later protocols, ignored
 * </pre>
 *
 * @param newestProtocol the newest protocol version the sender speaks
 * @param oldestProtocol the oldest one it still speaks
 * @param maxPayload the largest frame payload it accepts
 * @param window how many bytes the peer may send on a new stream before the sender grants more
 * @param nonce identifies the HELLO; the HELLO_ACK echoes it
 * @param software the sender's software version, for messages (e.g. "banger 0.1.0")
 */
public record Hello(int newestProtocol, int oldestProtocol, int maxPayload, int window, long nonce, String software) {
    /** The longest software string sent or kept, in UTF-8 bytes. */
    public static final int MAX_SOFTWARE = 128;
    private static final int FIXED = 2 + 2 + 4 + 4 + 8 + 2;

    public Hello {
        if (software == null) {
            throw new IllegalArgumentException("software version is null");
        }
    }

    /** The same fields with another nonce (an ACK echoes the HELLO's). */
    public Hello withNonce(long newNonce) {
        return new Hello(newestProtocol, oldestProtocol, maxPayload, window, newNonce, software);
    }

    public byte[] encode() {
        byte[] sw = PeerText.encode(software, MAX_SOFTWARE);
        byte[] b = new byte[FIXED + sw.length];
        b[0] = (byte) (newestProtocol >>> 8);
        b[1] = (byte) newestProtocol;
        b[2] = (byte) (oldestProtocol >>> 8);
        b[3] = (byte) oldestProtocol;
        Frames.putInt(b, 4, maxPayload);
        Frames.putInt(b, 8, window);
        Frames.putInt(b, 12, (int) (nonce >>> 32));
        Frames.putInt(b, 16, (int) nonce);
        b[20] = (byte) (sw.length >>> 8);
        b[21] = (byte) sw.length;
        System.arraycopy(sw, 0, b, FIXED, sw.length);
        return b;
    }

    /** The HELLO in these bytes, or empty when they are too short to be one (the caller reports it). */
    public static Optional<Hello> decode(byte[] b, int offset, int length) {
        if (length < FIXED) {
            return Optional.empty();
        }
        int newest = (b[offset] & 0xFF) << 8 | (b[offset + 1] & 0xFF);
        int oldest = (b[offset + 2] & 0xFF) << 8 | (b[offset + 3] & 0xFF);
        int maxPayload = Frames.getInt(b, offset + 4);
        int window = Frames.getInt(b, offset + 8);
        long nonce = (long) Frames.getInt(b, offset + 12) << 32 | (Frames.getInt(b, offset + 16) & 0xFFFFFFFFL);
        int swLength = (b[offset + 20] & 0xFF) << 8 | (b[offset + 21] & 0xFF);
        if (FIXED + swLength > length) {
            return Optional.empty();
        }
        String software = PeerText.decode(b, offset + FIXED, swLength, MAX_SOFTWARE);
        return Optional.of(new Hello(newest, oldest, maxPayload, window, nonce, software));
    }
}
