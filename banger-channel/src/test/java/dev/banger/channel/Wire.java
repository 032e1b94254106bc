package dev.banger.channel;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test helpers: frames as wire bytes, a listener that records what a decoder found, a reference COBS decoder. */
final class Wire {
    private Wire() {
    }

    /** A decoded frame, its payload copied. */
    record Frame(int streamId, int type, byte[] payload) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Frame f && f.streamId == streamId && f.type == type && Arrays.equals(f.payload, payload);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * streamId + type) + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Frame[" + streamId + ", type " + type + ", " + payload.length + " bytes]";
        }
    }

    static byte[] frame(int streamId, int type, byte[] payload) {
        FrameEncoder encoder = new FrameEncoder(Frames.MAX_PAYLOAD);
        int n = encoder.encode(streamId, type, payload, 0, payload.length);
        return Arrays.copyOf(encoder.buffer(), n);
    }

    static byte[] frame(int streamId, FrameType type, byte[] payload) {
        return frame(streamId, type.code(), payload);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * Stuffs arbitrary unstuffed frame bytes (header, payload, CRC as the caller made them) and adds the
     * delimiter: for frames whose fields lie.
     */
    static byte[] stuffed(byte[] raw) {
        byte[] out = new byte[Cobs.maxEncodedLength(raw.length) + 1];
        Cobs.Encoder cobs = new Cobs.Encoder();
        cobs.begin(out, 0);
        cobs.put(raw, 0, raw.length);
        int end = cobs.finish();
        out[end] = 0;
        return Arrays.copyOf(out, end + 1);
    }

    /** Reference COBS decoder for one whole stuffed frame (no delimiter), written from the paper, not from FrameDecoder. */
    static byte[] cobsDecode(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < in.length) {
            int code = in[i++] & 0xFF;
            if (code == 0 || i + code - 1 > in.length) {
                throw new IllegalArgumentException("not COBS");
            }
            out.write(in, i, code - 1);
            i += code - 1;
            if (code != 0xFF && i < in.length) {
                out.write(0);
            }
        }
        return out.toByteArray();
    }

    /** Records frames and garbage, and checks the decoder's buffer bound after every byte fed. */
    static final class Collector implements FrameDecoder.Listener {
        final List<Frame> frames = new ArrayList<>();
        final List<String> garbage = new ArrayList<>();

        @Override
        public void frame(int streamId, int type, byte[] buffer, int offset, int length) {
            frames.add(new Frame(streamId, type, Arrays.copyOfRange(buffer, offset, offset + length)));
        }

        @Override
        public void garbage(String reason) {
            garbage.add(reason);
        }

        /** Feeds all bytes in one call. */
        Collector feed(FrameDecoder decoder, byte[] bytes) {
            decoder.feed(bytes, 0, bytes.length, this);
            return this;
        }
    }
}
