package dev.banger.channel;

/**
 * The frame layout's constants and limits (see docs/CHANNEL.md). Before stuffing, a frame is:
 * <pre>
 *   stream id  u32 (big-endian; 0 = the channel itself, 1..2^31-1 = streams)
 *   type       u8  ({@link FrameType})
 *   length     u32 (payload bytes; must match the frame's actual size)
 *   payload    length bytes, at most the receiver's maximum payload
 *   CRC-32C    u32 over everything above
 * </pre>
 * then COBS-stuffed ({@link Cobs}) and followed by one 0x00 delimiter.
 */
public final class Frames {
    /** Stream id, type, length. */
    public static final int HEADER = 9;
    /** The CRC-32C. */
    public static final int TRAILER = 4;
    /**
     * The protocol's ceiling on a frame's payload, and the default each side announces. 64 KiB keeps a
     * decoder's buffer small (the agent runs in a few MiB of heap), amortises the 13-byte header, the CRC
     * and the syscall over enough bytes for full speed, and lets a small frame of another stream (a
     * keystroke into a PTY) pass a bulk copy after at most 64 KiB, a millisecond or so even on a slow guest.
     */
    public static final int MAX_PAYLOAD = 64 * 1024;
    /** The smallest maximum payload a side may announce. */
    public static final int MIN_PAYLOAD = 1024;
    /**
     * The longest text (CLOSE reason, ERROR text) sent or kept from the peer, in UTF-8 bytes; longer is cut.
     * With CLOSE's 4-byte status it fits the smallest payload a peer may announce.
     */
    public static final int MAX_TEXT = 1000;
    /** The longest PING payload answered. */
    public static final int MAX_PING = 64;
    /** The highest stream id: ids are positive ints. */
    public static final int MAX_STREAM_ID = Integer.MAX_VALUE;

    private Frames() {
    }

    /** The most bytes a frame with {@code maxPayload} bytes of payload takes on the wire, delimiter included. */
    public static int maxWireLength(int maxPayload) {
        return Cobs.maxEncodedLength(HEADER + maxPayload + TRAILER) + 1;
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
