package dev.banger.channel;

/**
 * Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): rewrites a frame so that it contains no
 * 0x00 byte, which then marks frame ends on the wire. The data is cut at each zero into groups; each
 * group is sent as a code byte (1 + the number of data bytes that follow) and those bytes, the zero
 * itself being implied. A group of 254 data bytes has code 0xFF and implies no zero. Overhead: one byte
 * per 254, so a frame of {@code n} bytes takes at most {@link #maxEncodedLength(int)} on the wire.
 *
 * <p>Encoding streams into a caller's array so that a frame's header, payload and checksum are stuffed
 * in one pass without being copied together first. Decoding is incremental and lives in
 * {@link FrameDecoder}, which must also bound and resynchronise.
 */
final class Cobs {
    /** The longest group: 254 data bytes, code 0xFF, no implied zero. */
    static final int MAX_GROUP_CODE = 0xFF;

    private Cobs() {
    }

    /** The most bytes {@code n} bytes of data can take once stuffed (without the delimiter). */
    static int maxEncodedLength(int n) {
        return n + n / 254 + 1;
    }

    /**
     * One frame being stuffed into an array: {@link #begin}, any number of {@link #put} calls, then
     * {@link #finish}. Not thread-safe; reused from frame to frame.
     */
    static final class Encoder {
        private byte[] dst;
        private int codeAt;
        private int pos;
        private int code;

        void begin(byte[] destination, int offset) {
            dst = destination;
            codeAt = offset;
            pos = offset + 1;
            code = 1;
        }

        void put(byte[] src, int offset, int length) {
            byte[] d = dst;
            int c = code;
            int at = codeAt;
            int p = pos;
            int i = offset;
            int end = offset + length;
            while (i < end) {
                // The longest run of non-zero bytes that still fits the current group, copied in one go.
                int limit = Math.min(end, i + MAX_GROUP_CODE - c);
                int j = i;
                while (j < limit && src[j] != 0) {
                    j++;
                }
                int run = j - i;
                System.arraycopy(src, i, d, p, run);
                p += run;
                c += run;
                i = j;
                if (c == MAX_GROUP_CODE) { // full group: no implied zero
                    d[at] = (byte) c;
                    at = p++;
                    c = 1;
                } else if (i < end) { // src[i] is a zero: it ends the group
                    d[at] = (byte) c;
                    at = p++;
                    c = 1;
                    i++;
                }
            }
            code = c;
            codeAt = at;
            pos = p;
        }

        /** Writes the last group's code; returns the index just past the stuffed frame. */
        int finish() {
            dst[codeAt] = (byte) code;
            return pos;
        }
    }
}
