package dev.banger.channel;

import java.util.zip.CRC32C;

/**
 * Turns wire bytes, fed in chunks of any size, back into frames: it unstuffs (COBS) into one fixed
 * buffer, and at each 0x00 checks the frame's size, length field and CRC-32C.
 *
 * <p>Built for hostile input: it never throws on any bytes, and never holds more than {@link #capacity()}
 * bytes. A frame that would outgrow the buffer is discarded up to the next 0x00 (reported once, when it
 * outgrows). A short, cut or corrupted frame is reported and dropped at its delimiter, and decoding
 * carries on with the next frame: this is how a peer that reconnects (first bytes: a lone 0x00) or a
 * half-written frame never desynchronises the stream. Empty frames (two 0x00 in a row) are padding and
 * are skipped silently. Not thread-safe: one reader feeds it.
 */
public final class FrameDecoder {
    /** What the decoder found. Called on the feeding thread; the frame's bytes are valid only during the call. */
    public interface Listener {
        /**
         * A well-formed frame. {@code type} is the raw code (see {@link FrameType#of}); {@code streamId} may be
         * any int, the receiver validates it.
         */
        void frame(int streamId, int type, byte[] buffer, int offset, int length);

        /** Bytes that were not a frame, dropped; {@code reason} says why (for a log line). */
        void garbage(String reason);
    }

    private final byte[] frame;
    private final CRC32C crc = new CRC32C();
    /** Bytes of the current frame unstuffed so far. */
    private int length;
    /** Data bytes left in the current COBS group; 0 = the next byte is a group code. */
    private int groupLeft;
    /** The group just finished implies a zero, written only if another group follows. */
    private boolean zeroPending;
    /** The current frame outgrew the buffer: drop bytes until the next delimiter. */
    private boolean discarding;
    /** Whether any byte of the current frame has been seen (so that runs of 0x00 stay silent). */
    private boolean started;
    private long garbageFrames;

    /** A decoder for frames of at most {@code maxPayload} payload bytes. */
    public FrameDecoder(int maxPayload) {
        if (maxPayload < 0 || maxPayload > Frames.MAX_PAYLOAD) {
            throw new IllegalArgumentException("maximum payload " + maxPayload + " outside 0.." + Frames.MAX_PAYLOAD);
        }
        this.frame = new byte[Frames.HEADER + maxPayload + Frames.TRAILER];
    }

    /** The most bytes this decoder ever holds: one frame, unstuffed. Fixed at construction. */
    public int capacity() {
        return frame.length;
    }

    /** Bytes of an unfinished frame held now (at most {@link #capacity()}). */
    public int buffered() {
        return length;
    }

    /** How many times garbage has been reported. */
    public long garbageCount() {
        return garbageFrames;
    }

    /** Forgets any partial frame, as if a delimiter had arrived, without reporting it. */
    public void reset() {
        length = 0;
        groupLeft = 0;
        zeroPending = false;
        discarding = false;
        started = false;
    }

    /** Feeds wire bytes; calls {@code listener} for every frame or piece of garbage they complete. */
    public void feed(byte[] bytes, int offset, int count, Listener listener) {
        byte[] f = frame;
        int cap = f.length;
        for (int i = offset, end = offset + count; i < end; i++) {
            byte b = bytes[i];
            if (b == 0) {
                endOfFrame(listener);
                continue;
            }
            started = true;
            if (discarding) {
                continue;
            }
            if (groupLeft > 0) {
                if (length == cap) {
                    overflow(listener);
                    continue;
                }
                // Copy the rest of the group in one go, up to a delimiter (a frame cut short) or the buffer's end.
                int limit = Math.min(end, i + Math.min(groupLeft, cap - length));
                int j = i + 1;
                while (j < limit && bytes[j] != 0) {
                    j++;
                }
                int run = j - i;
                System.arraycopy(bytes, i, f, length, run);
                length += run;
                groupLeft -= run;
                i = j - 1;
                continue;
            }
            // A group code: the previous group's implied zero is real, since another group follows.
            if (zeroPending) {
                if (length == cap) {
                    overflow(listener);
                    continue;
                }
                f[length++] = 0;
            }
            int code = b & 0xFF;
            groupLeft = code - 1;
            zeroPending = code != Cobs.MAX_GROUP_CODE;
        }
    }

    private void overflow(Listener listener) {
        discarding = true;
        report(listener, "a frame longer than " + capacity() + " bytes (the " + (capacity() - Frames.HEADER - Frames.TRAILER)
                + "-byte payload limit): dropping it up to the next delimiter");
    }

    private void endOfFrame(Listener listener) {
        boolean wasDiscarding = discarding;
        boolean cut = groupLeft > 0;
        boolean any = started;
        int n = length;
        reset();
        if (wasDiscarding || !any) {
            return; // reported when it overflowed; or an empty frame: padding
        }
        if (cut) {
            report(listener, "a frame cut short (a COBS group ended early, " + n + " bytes in): dropped");
            return;
        }
        if (n < Frames.HEADER + Frames.TRAILER) {
            report(listener, "a frame of " + n + " bytes, shorter than the " + (Frames.HEADER + Frames.TRAILER) + "-byte minimum: dropped");
            return;
        }
        int payloadLength = n - Frames.HEADER - Frames.TRAILER;
        crc.reset();
        crc.update(frame, 0, n - Frames.TRAILER);
        if ((int) crc.getValue() != Frames.getInt(frame, n - Frames.TRAILER)) {
            report(listener, "a frame of " + n + " bytes whose CRC-32C does not match (corrupted or cut): dropped");
            return;
        }
        int declared = Frames.getInt(frame, 5);
        if (declared != payloadLength) {
            report(listener, "a frame whose length field says " + Integer.toUnsignedString(declared) + " payload bytes but which carries "
                    + payloadLength + ": dropped");
            return;
        }
        listener.frame(Frames.getInt(frame, 0), frame[4] & 0xFF, frame, Frames.HEADER, payloadLength);
    }

    private void report(Listener listener, String reason) {
        garbageFrames++;
        listener.garbage(reason);
    }
}
