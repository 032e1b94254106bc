package dev.banger.nomad.cty;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes msgpack the way go-cty's Marshal does (vmihailenco/msgpack with compact integers): an integer in its
 * smallest form, non-negative ones in the unsigned family; a float always as a float64; strings in the smallest
 * str form.
 */
final class MsgpackWriter {
    /** go-cty's unknown value: fixext1, extension type 0, one zero byte. */
    static final byte[] UNKNOWN = {(byte) 0xd4, 0, 0};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    byte[] toByteArray() {
        return out.toByteArray();
    }

    void writeNil() {
        out.write(0xc0);
    }

    void writeBool(boolean b) {
        out.write(b ? 0xc3 : 0xc2);
    }

    void writeUnknown() {
        out.writeBytes(UNKNOWN);
    }

    void writeInteger(long n) {
        if (n >= 0) {
            if (n <= 0x7f) {
                out.write((int) n);
            } else if (n <= 0xff) {
                header(0xcc, n, 1);
            } else if (n <= 0xffff) {
                header(0xcd, n, 2);
            } else if (n <= 0xffffffffL) {
                header(0xce, n, 4);
            } else {
                header(0xcf, n, 8);
            }
        } else if (n >= -32) {
            out.write((int) n & 0xff);
        } else if (n >= Byte.MIN_VALUE) {
            header(0xd0, n, 1);
        } else if (n >= Short.MIN_VALUE) {
            header(0xd1, n, 2);
        } else if (n >= Integer.MIN_VALUE) {
            header(0xd2, n, 4);
        } else {
            header(0xd3, n, 8);
        }
    }

    void writeFloat64(double d) {
        header(0xcb, Double.doubleToRawLongBits(d), 8);
    }

    void writeString(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        int n = utf8.length;
        if (n <= 31) {
            out.write(0xa0 | n);
        } else if (n <= 0xff) {
            header(0xd9, n, 1);
        } else if (n <= 0xffff) {
            header(0xda, n, 2);
        } else {
            header(0xdb, n, 4);
        }
        out.writeBytes(utf8);
    }

    void writeBinary(byte[] bytes) {
        int n = bytes.length;
        if (n <= 0xff) {
            header(0xc4, n, 1);
        } else if (n <= 0xffff) {
            header(0xc5, n, 2);
        } else {
            header(0xc6, n, 4);
        }
        out.writeBytes(bytes);
    }

    void writeArrayHeader(int n) {
        if (n <= 15) {
            out.write(0x90 | n);
        } else if (n <= 0xffff) {
            header(0xdc, n, 2);
        } else {
            header(0xdd, n, 4);
        }
    }

    void writeMapHeader(int n) {
        if (n <= 15) {
            out.write(0x80 | n);
        } else if (n <= 0xffff) {
            header(0xde, n, 2);
        } else {
            header(0xdf, n, 4);
        }
    }

    private void header(int code, long value, int bytes) {
        out.write(code);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write((int) (value >>> (8 * i)) & 0xff);
        }
    }
}
