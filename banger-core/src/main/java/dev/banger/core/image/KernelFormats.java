package dev.banger.core.image;

/**
 * Recognises the kernel formats banger handles, from their bytes. Pure: callers read the files.
 * QEMU boots the bzImage; Firecracker wants an uncompressed ELF vmlinux, which banger extracts from the
 * bzImage's LZ4 payload.
 */
public final class KernelFormats {
    /** LZ4 legacy frame magic (0x184C2102, little endian), as the kernel's LZ4 compression writes it. */
    private static final byte[] LZ4_LEGACY_MAGIC = {0x02, 0x21, 0x4C, 0x18};
    private static final int BZIMAGE_HEADER_MAGIC_OFFSET = 0x202;

    public record ElfInfo(boolean elf, boolean is64Bit, boolean littleEndian, int machine, int type) {
        public static final int EM_X86_64 = 0x3e;
        public static final int ET_EXEC = 2;

        /** What Firecracker boots on x86_64: a 64-bit little-endian x86-64 executable. */
        public boolean bootableX86_64() {
            return elf && is64Bit && littleEndian && machine == EM_X86_64 && type == ET_EXEC;
        }

        public String describe() {
            if (!elf) {
                return "not an ELF file";
            }
            return (is64Bit ? "ELF64" : "ELF32") + " " + (littleEndian ? "LE" : "BE") + " machine 0x"
                    + Integer.toHexString(machine) + " type " + type;
        }
    }

    private KernelFormats() {
    }

    /** A Linux x86 boot image carries "HdrS" at 0x202. */
    public static boolean isBzImage(byte[] head) {
        return head.length >= BZIMAGE_HEADER_MAGIC_OFFSET + 4
                && head[BZIMAGE_HEADER_MAGIC_OFFSET] == 'H' && head[BZIMAGE_HEADER_MAGIC_OFFSET + 1] == 'd'
                && head[BZIMAGE_HEADER_MAGIC_OFFSET + 2] == 'r' && head[BZIMAGE_HEADER_MAGIC_OFFSET + 3] == 'S';
    }

    /** Offset of the first LZ4 legacy frame in {@code image}, or -1. */
    public static int lz4LegacyOffset(byte[] image) {
        outer:
        for (int i = 0; i + LZ4_LEGACY_MAGIC.length <= image.length; i++) {
            for (int j = 0; j < LZ4_LEGACY_MAGIC.length; j++) {
                if (image[i + j] != LZ4_LEGACY_MAGIC[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    public static ElfInfo elf(byte[] head) {
        if (head.length < 20 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
            return new ElfInfo(false, false, false, 0, 0);
        }
        boolean is64 = head[4] == 2;
        boolean le = head[5] == 1;
        int type = le ? (head[16] & 0xff) | (head[17] & 0xff) << 8 : (head[17] & 0xff) | (head[16] & 0xff) << 8;
        int machine = le ? (head[18] & 0xff) | (head[19] & 0xff) << 8 : (head[19] & 0xff) | (head[18] & 0xff) << 8;
        return new ElfInfo(true, is64, le, machine, type);
    }
}
