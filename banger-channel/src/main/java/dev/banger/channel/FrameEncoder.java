package dev.banger.channel;

import java.util.zip.CRC32C;

/**
 * Turns one frame into its wire bytes (stuffed, checksummed, delimited) in a buffer it owns and reuses,
 * so that sending allocates nothing. Not thread-safe: the channel uses it under its write lock.
 */
public final class FrameEncoder {
    private final int maxPayload;
    private final byte[] wire;
    private final byte[] header = new byte[Frames.HEADER];
    private final byte[] trailer = new byte[Frames.TRAILER];
    private final CRC32C crc = new CRC32C();
    private final Cobs.Encoder cobs = new Cobs.Encoder();

    public FrameEncoder(int maxPayload) {
        if (maxPayload < 0 || maxPayload > Frames.MAX_PAYLOAD) {
            throw new IllegalArgumentException("maximum payload " + maxPayload + " outside 0.." + Frames.MAX_PAYLOAD);
        }
        this.maxPayload = maxPayload;
        this.wire = new byte[Frames.maxWireLength(maxPayload)];
    }

    /**
     * Encodes a frame into {@link #buffer()}; returns how many bytes of it to send. {@code type} is a raw
     * code so that tests can send codes protocol 1 lacks.
     */
    public int encode(int streamId, int type, byte[] payload, int offset, int length) {
        if (length < 0 || length > maxPayload) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds this encoder's " + maxPayload);
        }
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("frame type " + type + " is not a byte");
        }
        Frames.putInt(header, 0, streamId);
        header[4] = (byte) type;
        Frames.putInt(header, 5, length);
        crc.reset();
        crc.update(header, 0, header.length);
        crc.update(payload, offset, length);
        Frames.putInt(trailer, 0, (int) crc.getValue());
        cobs.begin(wire, 0);
        cobs.put(header, 0, header.length);
        cobs.put(payload, offset, length);
        cobs.put(trailer, 0, trailer.length);
        int end = cobs.finish();
        wire[end] = 0;
        return end + 1;
    }

    public int encode(int streamId, FrameType type, byte[] payload) {
        return encode(streamId, type.code(), payload, 0, payload.length);
    }

    /** The wire bytes of the last {@link #encode}. */
    public byte[] buffer() {
        return wire;
    }
}
