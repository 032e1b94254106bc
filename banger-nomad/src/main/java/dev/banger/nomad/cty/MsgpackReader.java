package dev.banger.nomad.cty;

import java.math.BigInteger;

/**
 * Reads msgpack from a byte array, one item header at a time, checking every length against what is left
 * before it allocates anything. Malformed input ends in {@link Malformed}; the decoder adds the path.
 */
final class MsgpackReader {

    /** The msgpack format families, as they matter to cty. */
    enum Format {
        NIL("nil"), BOOL("bool"), INT("integer"), FLOAT("float"), STR("string"), BIN("binary"), ARRAY("array"),
        MAP("map"), EXT("extension"), NEVER_USED("byte 0xc1, which msgpack never uses");

        final String described;

        Format(String described) {
            this.described = described;
        }
    }

    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    private final byte[] data;
    private int pos;

    MsgpackReader(byte[] data) {
        this.data = data;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return data.length - pos;
    }

    Format peekFormat() {
        return format(peekByte());
    }

    static Format format(int b) {
        if (b <= 0x7f || b >= 0xe0) {
            return Format.INT; // positive and negative fixint
        }
        if (b <= 0x8f) {
            return Format.MAP;
        }
        if (b <= 0x9f) {
            return Format.ARRAY;
        }
        if (b <= 0xbf) {
            return Format.STR;
        }
        return switch (b) {
            case 0xc0 -> Format.NIL;
            case 0xc2, 0xc3 -> Format.BOOL;
            case 0xc4, 0xc5, 0xc6 -> Format.BIN;
            case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8 -> Format.EXT;
            case 0xca, 0xcb -> Format.FLOAT;
            case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3 -> Format.INT;
            case 0xd9, 0xda, 0xdb -> Format.STR;
            case 0xdc, 0xdd -> Format.ARRAY;
            case 0xde, 0xdf -> Format.MAP;
            default -> Format.NEVER_USED;
        };
    }

    void readNil() {
        expectByte(0xc0, Format.NIL);
    }

    boolean readBool() {
        int b = readByte();
        if (b == 0xc2 || b == 0xc3) {
            return b == 0xc3;
        }
        throw new Malformed("expected a bool at byte " + (pos - 1));
    }

    /** An integer of any width, signed or unsigned (a uint64 may exceed a long). */
    BigInteger readInteger() {
        int b = readByte();
        if (b <= 0x7f) {
            return BigInteger.valueOf(b);
        }
        if (b >= 0xe0) {
            return BigInteger.valueOf((byte) b);
        }
        return switch (b) {
            case 0xcc -> BigInteger.valueOf(readUnsigned(1));
            case 0xcd -> BigInteger.valueOf(readUnsigned(2));
            case 0xce -> BigInteger.valueOf(readUnsigned(4));
            case 0xcf -> new BigInteger(1, readBytes(8));
            case 0xd0 -> BigInteger.valueOf((byte) readUnsigned(1));
            case 0xd1 -> BigInteger.valueOf((short) readUnsigned(2));
            case 0xd2 -> BigInteger.valueOf((int) readUnsigned(4));
            case 0xd3 -> BigInteger.valueOf(readUnsigned(8));
            default -> throw new Malformed("expected an integer at byte " + (pos - 1));
        };
    }

    double readFloat() {
        int b = readByte();
        return switch (b) {
            case 0xca -> Float.intBitsToFloat((int) readUnsigned(4));
            case 0xcb -> Double.longBitsToDouble(readUnsigned(8)); // the 64 bits, wrapped into a long as they are
            default -> throw new Malformed("expected a float at byte " + (pos - 1));
        };
    }

    /** The byte length of a str (not its bytes: the caller checks it against its limit first). */
    long readStringHeader() {
        int b = readByte();
        if (b >= 0xa0 && b <= 0xbf) {
            return b & 0x1f;
        }
        return switch (b) {
            case 0xd9 -> readUnsigned(1);
            case 0xda -> readUnsigned(2);
            case 0xdb -> readUnsigned(4);
            default -> throw new Malformed("expected a string at byte " + (pos - 1));
        };
    }

    long readBinaryHeader() {
        int b = readByte();
        return switch (b) {
            case 0xc4 -> readUnsigned(1);
            case 0xc5 -> readUnsigned(2);
            case 0xc6 -> readUnsigned(4);
            default -> throw new Malformed("expected binary data at byte " + (pos - 1));
        };
    }

    long readArrayHeader() {
        int b = readByte();
        if (b >= 0x90 && b <= 0x9f) {
            return b & 0x0f;
        }
        return switch (b) {
            case 0xdc -> readUnsigned(2);
            case 0xdd -> readUnsigned(4);
            default -> throw new Malformed("expected an array at byte " + (pos - 1));
        };
    }

    long readMapHeader() {
        int b = readByte();
        if (b >= 0x80 && b <= 0x8f) {
            return b & 0x0f;
        }
        return switch (b) {
            case 0xde -> readUnsigned(2);
            case 0xdf -> readUnsigned(4);
            default -> throw new Malformed("expected a map at byte " + (pos - 1));
        };
    }

    /** Skips an extension value, header and payload (cty writes an unknown value as one). Returns its type byte. */
    int skipExtension() {
        int b = readByte();
        long length = switch (b) {
            case 0xd4 -> 1;
            case 0xd5 -> 2;
            case 0xd6 -> 4;
            case 0xd7 -> 8;
            case 0xd8 -> 16;
            case 0xc7 -> readUnsigned(1);
            case 0xc8 -> readUnsigned(2);
            case 0xc9 -> readUnsigned(4);
            default -> throw new Malformed("expected an extension at byte " + (pos - 1));
        };
        int type = readByte();
        readBytes(length);
        return type;
    }

    /** Exactly {@code length} bytes, or Malformed when fewer are left (checked before anything is allocated). */
    byte[] readBytes(long length) {
        if (length > remaining()) {
            throw new Malformed("the data ends at byte " + data.length + ", " + (length - remaining())
                    + " bytes short of the " + length + " announced at byte " + pos);
        }
        byte[] out = new byte[(int) length];
        System.arraycopy(data, pos, out, 0, (int) length);
        pos += (int) length;
        return out;
    }

    private int peekByte() {
        if (pos >= data.length) {
            throw new Malformed("the data ends at byte " + data.length + " where a value should start");
        }
        return data[pos] & 0xff;
    }

    private int readByte() {
        int b = peekByte();
        pos++;
        return b;
    }

    private void expectByte(int expected, Format format) {
        if (readByte() != expected) {
            throw new Malformed("expected " + format.described + " at byte " + (pos - 1));
        }
    }

    private long readUnsigned(int n) {
        if (n > remaining()) {
            throw new Malformed("the data ends at byte " + data.length + ", inside a " + n + "-byte field");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 8) | (data[pos++] & 0xff);
        }
        return v;
    }
}
