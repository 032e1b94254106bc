package dev.banger.core.image;

import java.util.HexFormat;

/**
 * Recognises the kernel formats banger handles, from their bytes. Pure: callers read the files.
 * Firecracker wants an uncompressed ELF vmlinux, which banger extracts from the bzImage's LZ4 payload; QEMU
 * boots that vmlinux too when it has a PVH entry note ({@link #hasPvhEntry}), else the bzImage.
 *
 * <p>A bzImage is judged by its setup header (Documentation/arch/x86/boot.rst), not by a signature alone:
 * "HdrS" at 0x202, a boot protocol of at least 2.06, and a real-mode setup that fits both the 32 KiB a
 * loader gives it and the file, with a kernel after it.
 */
public final class KernelFormats {
    /** How many leading bytes {@link #identify} needs to see: both headers lie well within. */
    public static final int HEAD_BYTES = 4096;
    /** LZ4 legacy frame magic (0x184C2102, little endian), as the kernel's LZ4 compression writes it. */
    private static final byte[] LZ4_LEGACY_MAGIC = {0x02, 0x21, 0x4C, 0x18};
    private static final int SETUP_SECTS_OFFSET = 0x1f1;
    private static final int HEADER_MAGIC_OFFSET = 0x202;
    private static final int VERSION_OFFSET = 0x206;
    /** Protocol 2.06 (Linux 2.6.22) is the oldest whose header tells a loader all it needs (cmdline_size). */
    public static final int MIN_BOOT_PROTOCOL = 0x0206;
    /** The real-mode code (boot sector + setup) must end below 0x8000: arch/x86/boot/setup.ld asserts it. */
    public static final int MAX_SETUP_BYTES = 0x8000;
    private static final int SECTOR = 512;

    public enum Kind {
        /** A Linux x86 boot image (QEMU's kernel). */
        BZIMAGE,
        /** An uncompressed x86-64 ELF (Firecracker's kernel). */
        VMLINUX
    }

    /** Which kernel a file holds; {@code kind} is null and {@code problem} says why when it is neither. */
    public record Identified(Kind kind, String problem) {
    }

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

    /**
     * A bzImage or a vmlinux, or why {@code head} is neither.
     *
     * @param head the file's first bytes (at least {@link #HEAD_BYTES}, or the whole file when shorter)
     * @param size the file's size in bytes, or -1 while it is not known yet (its size rules are then skipped)
     */
    public static Identified identify(byte[] head, long size) {
        if (hasHeaderMagic(head)) {
            String problem = bzImageProblem(head, size);
            return problem == null ? new Identified(Kind.BZIMAGE, null) : new Identified(null, "a bzImage header, but " + problem);
        }
        ElfInfo elf = elf(head);
        if (elf.elf()) {
            return elf.bootableX86_64() ? new Identified(Kind.VMLINUX, null)
                    : new Identified(null, "an ELF file, but not a bootable x86-64 kernel: " + elf.describe()
                    + " (expected ELF64 LE machine 0x3e type 2, an executable)");
        }
        return new Identified(null, "neither a Linux bzImage nor an x86-64 ELF vmlinux (no 'HdrS' setup header at 0x202, no ELF magic); it starts with "
                + startsWith(head));
    }

    /**
     * Why {@code head} is not a bootable bzImage, or null when it is. The rules: "HdrS" at 0x202, boot
     * protocol (u16 LE at 0x206) at least 2.06, setup_sects (u8 at 0x1f1; 0 means 4) such that the
     * real-mode code, (setup_sects + 1) * 512 bytes, fits in 32 KiB and, when the size is known, leaves
     * a protected-mode kernel after it in the file.
     */
    public static String bzImageProblem(byte[] head, long size) {
        if (!hasHeaderMagic(head)) {
            return "no 'HdrS' setup header at 0x202";
        }
        int version = (head[VERSION_OFFSET] & 0xff) | (head[VERSION_OFFSET + 1] & 0xff) << 8;
        if (version < MIN_BOOT_PROTOCOL) {
            return "boot protocol " + protocol(version) + " is older than the " + protocol(MIN_BOOT_PROTOCOL) + " banger needs";
        }
        int setupSects = head[SETUP_SECTS_OFFSET] & 0xff;
        int realModeBytes = ((setupSects == 0 ? 4 : setupSects) + 1) * SECTOR;
        if (realModeBytes > MAX_SETUP_BYTES) {
            return "setup_sects " + setupSects + " means " + realModeBytes + " bytes of real-mode code, more than the "
                    + MAX_SETUP_BYTES + " a loader gives it";
        }
        if (size >= 0 && size <= realModeBytes) {
            return "the file (" + size + " bytes) ends within its " + realModeBytes + " bytes of real-mode code: no kernel follows";
        }
        return null;
    }

    /** Whether the whole file {@code image} is a bootable bzImage ({@link #bzImageProblem}). */
    public static boolean isBzImage(byte[] image) {
        return bzImageProblem(image, image.length) == null;
    }

    private static boolean hasHeaderMagic(byte[] head) {
        return head.length >= VERSION_OFFSET + 2
                && head[HEADER_MAGIC_OFFSET] == 'H' && head[HEADER_MAGIC_OFFSET + 1] == 'd'
                && head[HEADER_MAGIC_OFFSET + 2] == 'r' && head[HEADER_MAGIC_OFFSET + 3] == 'S';
    }

    private static String protocol(int version) {
        return (version >> 8) + "." + String.format("%02d", version & 0xff);
    }

    /** The first bytes in hex, for messages that say what was found instead. */
    static String startsWith(byte[] head) {
        if (head.length == 0) {
            return "nothing (the file is empty)";
        }
        int n = Math.min(4, head.length);
        return "bytes " + HexFormat.ofDelimiter(" ").formatHex(head, 0, n);
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

    /** Where a PT_NOTE segment lies in the file. */
    public record Segment(long offset, long size) {
    }

    private static final int PT_NOTE = 4;
    /** Xen's note type for the 32-bit entry point that PVH boot uses (xen/include/public/elfnote.h). */
    private static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

    /**
     * The PT_NOTE segments of an ELF64 little-endian file, from its program headers, which must lie in
     * {@code head}; empty for anything else (a 32-bit or big-endian ELF, headers beyond {@code head}).
     */
    public static java.util.List<Segment> noteSegments(byte[] head) {
        ElfInfo info = elf(head);
        if (!info.elf() || !info.is64Bit() || !info.littleEndian() || head.length < 64) {
            return java.util.List.of();
        }
        long phoff = le64(head, 0x20);
        int phentsize = le16(head, 0x36);
        int phnum = le16(head, 0x38);
        java.util.List<Segment> notes = new java.util.ArrayList<>();
        for (int i = 0; i < phnum && phentsize >= 56; i++) {
            long at = phoff + (long) i * phentsize;
            if (at < 0 || at + 56 > head.length) {
                break;
            }
            int p = (int) at;
            if (le32(head, p) == PT_NOTE) {
                long offset = le64(head, p + 8);
                long size = le64(head, p + 32);
                if (offset >= 0 && size > 0) {
                    notes.add(new Segment(offset, size));
                }
            }
        }
        return notes;
    }

    /**
     * Whether {@code notes}, the bytes of one PT_NOTE segment, hold Xen's PHYS32_ENTRY note: the entry point a
     * PVH loader (QEMU's for an ELF kernel) jumps to. Malformed or truncated notes end the scan.
     */
    public static boolean hasPvhEntry(byte[] notes) {
        int at = 0;
        while (at + 12 <= notes.length) {
            long nameSize = le32(notes, at) & 0xffffffffL;
            long descSize = le32(notes, at + 4) & 0xffffffffL;
            int type = le32(notes, at + 8);
            long name = at + 12L;
            long desc = name + align4(nameSize);
            long next = desc + align4(descSize);
            if (next > notes.length) {
                return false;
            }
            if (type == XEN_ELFNOTE_PHYS32_ENTRY && nameSize == 4 && notes[(int) name] == 'X' && notes[(int) name + 1] == 'e'
                    && notes[(int) name + 2] == 'n' && notes[(int) name + 3] == 0) {
                return true;
            }
            at = (int) next;
        }
        return false;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return le16(b, at) | le16(b, at + 2) << 16;
    }

    private static long le64(byte[] b, int at) {
        return (le32(b, at) & 0xffffffffL) | (long) le32(b, at + 4) << 32;
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
