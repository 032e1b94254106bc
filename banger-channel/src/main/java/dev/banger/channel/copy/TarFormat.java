package dev.banger.channel.copy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.zip.CRC32C;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bytes of POSIX ustar headers and pax extended records (IEEE Std 1003.1, "pax Interchange Format"),
 * as much as copies need. Pure: arrays in, arrays out; every length checked against the block it lives in.
 */
final class TarFormat {
    static final int BLOCK = 512;
    /** A name or link target: Linux's PATH_MAX. */
    static final int MAX_NAME_BYTES = 4096;
    /** An extended header's records: a long path and link target with room to spare, never what a peer asks. */
    static final int MAX_PAX_BYTES = 16 * 1024;
    /** The largest number an 11-digit octal field holds (8 GiB - 1 as a size; the year 2242 as an mtime). */
    static final long MAX_OCTAL = 077777777777L;

    static final byte REGULAR = '0';
    static final byte REGULAR_OLD = 0;
    static final byte SYMLINK = '2';
    static final byte DIRECTORY = '5';
    static final byte PAX_ENTRY = 'x';
    static final byte PAX_GLOBAL = 'g';

    /**
     * A regular file's checksum, in the pax global header that follows its data (banger's own keyword): the
     * CRC-32C of its bytes as eight hex digits. Why not SHA-256: see {@link TarWriter}.
     */
    static final String CRC32C = "BANGER.crc32c";
    /** Why the sender stopped: in a file's trailer, or alone before the end of the archive. */
    static final String ERROR = "BANGER.error";

    static final String PATH = "path";
    static final String LINKPATH = "linkpath";
    static final String SIZE = "size";
    static final String MTIME = "mtime";

    private static final int NAME = 0;
    private static final int NAME_LEN = 100;
    private static final int MODE = 100;
    private static final int UID = 108;
    private static final int GID = 116;
    private static final int SIZE_FIELD = 124;
    private static final int MTIME_FIELD = 136;
    private static final int CHECKSUM = 148;
    private static final int TYPE = 156;
    private static final int LINKNAME = 157;
    private static final int MAGIC = 257;
    private static final int DEVMAJOR = 329;
    private static final int DEVMINOR = 337;
    private static final int PREFIX = 345;
    private static final int PREFIX_LEN = 155;
    private static final byte[] USTAR = {'u', 's', 't', 'a', 'r', 0, '0', '0'};

    private TarFormat() {
    }

    /** A header block; {@code name} and {@code link} are cut to their fields (a pax record carries the whole). */
    static void header(byte[] block, byte type, byte[] name, int mode, long size, long mtimeSeconds, byte[] link) {
        Arrays.fill(block, (byte) 0);
        System.arraycopy(name, 0, block, NAME, Math.min(name.length, NAME_LEN));
        octal(block, MODE, 8, mode & 07777);
        octal(block, UID, 8, 0);
        octal(block, GID, 8, 0);
        octal(block, SIZE_FIELD, 12, Math.min(size, MAX_OCTAL));
        octal(block, MTIME_FIELD, 12, Math.clamp(mtimeSeconds, 0, MAX_OCTAL));
        block[TYPE] = type;
        if (link != null) {
            System.arraycopy(link, 0, block, LINKNAME, Math.min(link.length, NAME_LEN));
        }
        System.arraycopy(USTAR, 0, block, MAGIC, USTAR.length);
        octal(block, DEVMAJOR, 8, 0);
        octal(block, DEVMINOR, 8, 0);
        Arrays.fill(block, CHECKSUM, CHECKSUM + 8, (byte) ' ');
        octal(block, CHECKSUM, 7, checksum(block)); // six digits and a NUL, then the space left in place
    }

    /** Whether a name or link target needs a pax record (it does not fit its ustar field). */
    static boolean longer(byte[] value) {
        return value.length > NAME_LEN;
    }

    static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** The checks every header passes: its checksum and the ustar magic; null when it passes, else why not. */
    static String check(byte[] block) {
        long recorded;
        try {
            recorded = octal(block, CHECKSUM, 8);
        } catch (NumberFormatException e) {
            return "a header whose checksum field is not a number";
        }
        if (recorded != checksum(block)) {
            return "a header whose checksum does not match (damaged, or not a tar archive)";
        }
        if (!Arrays.equals(block, MAGIC, MAGIC + USTAR.length, USTAR, 0, USTAR.length)) {
            return "a header that is not POSIX ustar";
        }
        return null;
    }

    static byte type(byte[] block) {
        return block[TYPE];
    }

    static int mode(byte[] block) {
        return (int) (octal(block, MODE, 8) & 07777);
    }

    static long size(byte[] block) {
        return octal(block, SIZE_FIELD, 12);
    }

    static long mtime(byte[] block) {
        return octal(block, MTIME_FIELD, 12);
    }

    /** The name fields (prefix "/" name) as bytes. */
    static byte[] name(byte[] block) {
        byte[] name = field(block, NAME, NAME_LEN);
        byte[] prefix = field(block, PREFIX, PREFIX_LEN);
        if (prefix.length == 0) {
            return name;
        }
        byte[] joined = Arrays.copyOf(prefix, prefix.length + 1 + name.length);
        joined[prefix.length] = '/';
        System.arraycopy(name, 0, joined, prefix.length + 1, name.length);
        return joined;
    }

    static byte[] linkName(byte[] block) {
        return field(block, LINKNAME, NAME_LEN);
    }

    /** Bytes up to the first NUL of a field. */
    private static byte[] field(byte[] block, int off, int len) {
        int end = off;
        while (end < off + len && block[end] != 0) {
            end++;
        }
        return Arrays.copyOfRange(block, off, end);
    }

    /** A number field: octal digits after optional spaces, ended by a NUL or a space (or the field's end). */
    static long octal(byte[] block, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && block[i] == ' ') {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && block[i] >= '0' && block[i] <= '7') {
            if (++digits > 21) {
                throw new NumberFormatException("too many digits");
            }
            v = (v << 3) | (block[i] - '0');
            i++;
        }
        // base-256 numbers (a high bit in the first byte) and any other byte are not ours
        if (digits == 0 || (i < end && block[i] != 0 && block[i] != ' ')) {
            throw new NumberFormatException("not an octal number");
        }
        return v;
    }

    private static void octal(byte[] block, int off, int len, long value) {
        String digits = Long.toOctalString(value);
        int width = len - 1;
        for (int i = 0; i < width; i++) {
            int d = digits.length() - width + i;
            block[off + i] = (byte) (d < 0 ? '0' : digits.charAt(d));
        }
        block[off + width] = 0;
    }

    private static long checksum(byte[] block) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= CHECKSUM && i < CHECKSUM + 8) ? ' ' : block[i] & 0xFF;
        }
        return sum;
    }

    /** A checksum's value as the trailer carries it. */
    static String hex(CRC32C crc) {
        return String.format("%08x", crc.getValue());
    }

    /** Pax records: {@code "LEN KEY=VALUE\n"}, LEN counting the whole record, itself included. */
    static byte[] paxRecords(Map<String, String> records) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : records.entrySet()) {
            int body = (" " + e.getKey() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8).length;
            int len = body + 1;
            while (len != body + Integer.toString(len).length()) {
                len = body + Integer.toString(len).length();
            }
            out.append(len).append(' ').append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The records of an extended header's data, which must be exactly a sequence of well-formed records in
     * UTF-8; a key given twice keeps its last value, as pax says. Null values are never returned.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static Map<String, String> parsePax(byte[] data, int length) {
        Map<String, String> records = new LinkedHashMap<>();
        int pos = 0;
        while (pos < length) {
            int space = pos;
            long len = 0;
            while (space < length && data[space] >= '0' && data[space] <= '9' && space - pos < 6) {
                len = len * 10 + (data[space] - '0');
                space++;
            }
            if (space == pos || space >= length || data[space] != ' ' || len < 5 || pos + len > length) {
                throw new IllegalArgumentException("a malformed extended header record");
            }
            int end = (int) (pos + len) - 1;
            if (data[end] != '\n') {
                throw new IllegalArgumentException("an extended header record without its newline");
            }
            int eq = space + 1;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq == space + 1 || eq == end) {
                throw new IllegalArgumentException("an extended header record without a key");
            }
            records.put(utf8(data, space + 1, eq - space - 1), utf8(data, eq + 1, end - eq - 1));
            pos = (int) (pos + len);
        }
        return records;
    }

    static String utf8(byte[] b) {
        return utf8(b, 0, b.length);
    }

    /** Strict UTF-8: malformed bytes are an error, never a replacement character in a path. */
    static String utf8(byte[] b, int off, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text that is not UTF-8");
        }
    }

    /** A pax mtime: decimal seconds with up to nine fractional digits, the sign applying to the whole. */
    static String paxTime(FileTime time) {
        Instant i = time.toInstant();
        long s = i.getEpochSecond();
        int n = i.getNano();
        if (n == 0) {
            return Long.toString(s);
        }
        if (s < 0) { // -1.5 s is epoch second -2 plus 0.5 s
            return "-" + (-(s + 1)) + "." + nine(1_000_000_000 - n);
        }
        return s + "." + nine(n);
    }

    private static String nine(int nanos) {
        String d = Integer.toString(nanos);
        return "0".repeat(9 - d.length()) + d;
    }

    /** The inverse of {@link #paxTime}; more than nine fractional digits are cut (pax allows any number). */
    static FileTime parsePaxTime(String v) {
        if (!v.matches("-?[0-9]{1,18}(\\.[0-9]{1,30})?")) {
            throw new IllegalArgumentException("an mtime that is not a decimal number of seconds");
        }
        boolean negative = v.startsWith("-");
        String digits = negative ? v.substring(1) : v;
        int dot = digits.indexOf('.');
        long s = Long.parseLong(dot < 0 ? digits : digits.substring(0, dot));
        String frac = dot < 0 ? "" : digits.substring(dot + 1);
        frac = (frac + "000000000").substring(0, 9);
        int n = Integer.parseInt(frac);
        if (negative) {
            return n == 0 ? FileTime.from(Instant.ofEpochSecond(-s)) : FileTime.from(Instant.ofEpochSecond(-s - 1, 1_000_000_000 - n));
        }
        return FileTime.from(Instant.ofEpochSecond(s, n));
    }
}
