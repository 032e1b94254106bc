package dev.banger.core.image;

import java.util.Arrays;
import java.util.List;

/**
 * Recognises an initramfs the kernel can unpack, from its first bytes. Pure: callers read the file.
 *
 * <p>What the kernel reads (init/initramfs.c, lib/decompress.c): NUL padding, then a cpio archive in the
 * "newc" or "crc" format (magic 070701 or 070702, at a 4-byte boundary), or an archive compressed with
 * gzip, bzip2, lzma, xz, lzo, lz4 (legacy frame) or zstd. The old binary and "odc" cpio formats (070707)
 * it refuses. The kernel itself looks at two bytes; banger asks for each format's full magic, so a text
 * file that happens to start like one is still refused. Whether the guest kernel was built with that
 * decompressor is the guest's business: it says so on its console.
 */
public final class InitramfsFormats {
    /** How many leading bytes {@link #identify} looks at: NUL padding beyond this is not a real initramfs. */
    public static final int HEAD_BYTES = 4096;

    private record Magic(String name, byte[] bytes) {
    }

    private static final List<Magic> COMPRESSED = List.of(
            new Magic("gzip", bytes(0x1f, 0x8b, 0x08)),
            new Magic("bzip2", bytes('B', 'Z', 'h')),
            // lzma "alone" format: the properties byte of lc=3 lp=0 pb=2, then a little-endian dictionary size
            new Magic("lzma", bytes(0x5d, 0x00, 0x00)),
            new Magic("xz", bytes(0xfd, '7', 'z', 'X', 'Z', 0x00)),
            new Magic("lzo", bytes(0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a)),
            new Magic("lz4", bytes(0x02, 0x21, 0x4c, 0x18)),
            new Magic("zstd", bytes(0x28, 0xb5, 0x2f, 0xfd)));
    private static final byte[] CPIO_NEWC = bytes('0', '7', '0', '7', '0', '1');
    private static final byte[] CPIO_CRC = bytes('0', '7', '0', '7', '0', '2');
    private static final byte[] CPIO_ODC = bytes('0', '7', '0', '7', '0', '7');
    static final String EXPECTED = "expected a cpio archive in newc format (magic 070701, as 'cpio -H newc' writes it), "
            + "or one compressed with gzip, bzip2, lzma, xz, lzo, lz4 or zstd";

    /** The format found, or why it is not an initramfs. */
    public record Identified(String format, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    private InitramfsFormats() {
    }

    /**
     * The format of the initramfs whose first bytes are {@code head} (at least {@link #HEAD_BYTES}, or the
     * whole file when shorter): "cpio newc", "cpio crc" or a compression's name; or the problem.
     */
    public static Identified identify(byte[] head) {
        if (head.length == 0) {
            return new Identified(null, "the file is empty; " + EXPECTED);
        }
        int start = 0;
        while (start < head.length && head[start] == 0) {
            start++; // the kernel skips NUL padding between (and before) archives
        }
        if (start == head.length) {
            return new Identified(null, "it holds only NUL bytes; " + EXPECTED);
        }
        if (start % 4 == 0 && at(head, start, CPIO_NEWC)) {
            return new Identified("cpio newc", null);
        }
        if (start % 4 == 0 && at(head, start, CPIO_CRC)) {
            return new Identified("cpio crc", null);
        }
        if (at(head, start, CPIO_ODC)) {
            return new Identified(null, "it is a cpio archive in the old portable (odc) format, which the kernel refuses; "
                    + "write it with 'cpio -H newc'");
        }
        for (Magic m : COMPRESSED) {
            if (at(head, start, m.bytes())) {
                return new Identified(m.name() + " compressed", null);
            }
        }
        byte[] rest = Arrays.copyOfRange(head, start, head.length);
        return new Identified(null, "it starts with " + KernelFormats.startsWith(rest)
                + (start > 0 ? " after " + start + " NUL bytes" : "") + "; " + EXPECTED);
    }

    private static boolean at(byte[] head, int offset, byte[] magic) {
        return head.length - offset >= magic.length
                && Arrays.equals(head, offset, offset + magic.length, magic, 0, magic.length);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
