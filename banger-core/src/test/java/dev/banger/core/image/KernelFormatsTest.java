package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KernelFormatsTest {
    private static byte[] elfHeader(int elfClass, int endian, int type, int machine) {
        byte[] h = new byte[64];
        h[0] = 0x7f;
        h[1] = 'E';
        h[2] = 'L';
        h[3] = 'F';
        h[4] = (byte) elfClass;
        h[5] = (byte) endian;
        h[16] = (byte) type;
        h[18] = (byte) machine;
        return h;
    }

    /** A file of {@code size} bytes with a setup header: setup_sects, "HdrS", the boot protocol version. */
    private static byte[] bzImage(int setupSects, int version, int size) {
        byte[] image = new byte[size];
        image[0x1f1] = (byte) setupSects;
        System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, image, 0x202, 4);
        image[0x206] = (byte) version;
        image[0x207] = (byte) (version >> 8);
        return image;
    }

    @Test
    void recognisesABootableX86ElfAndRejectsOthers() {
        assertThat(KernelFormats.elf(elfHeader(2, 1, 2, 0x3e)).bootableX86_64()).isTrue();
        assertThat(KernelFormats.elf(elfHeader(1, 1, 2, 0x3e)).bootableX86_64()).as("32-bit").isFalse();
        assertThat(KernelFormats.elf(elfHeader(2, 1, 3, 0x3e)).bootableX86_64()).as("shared object").isFalse();
        assertThat(KernelFormats.elf(elfHeader(2, 1, 2, 0xb7)).bootableX86_64()).as("aarch64").isFalse();
        assertThat(KernelFormats.elf(new byte[] {1, 2, 3}).elf()).isFalse();
        assertThat(KernelFormats.elf(elfHeader(2, 1, 2, 0x3e)).describe()).isEqualTo("ELF64 LE machine 0x3e type 2");
    }

    @Test
    void findsTheLz4LegacyFrame() {
        byte[] image = bzImage(4, 0x020f, 0x1000);
        assertThat(KernelFormats.lz4LegacyOffset(image)).isEqualTo(-1);
        image[0xa50] = 0x02;
        image[0xa51] = 0x21;
        image[0xa52] = 0x4C;
        image[0xa53] = 0x18;
        assertThat(KernelFormats.lz4LegacyOffset(image)).isEqualTo(0xa50);
    }

    @Test
    void aBzImageNeedsTheHeaderARecentBootProtocolAndASaneSetupSize() {
        assertThat(KernelFormats.bzImageProblem(bzImage(4, 0x020f, 4096), 4096)).isNull();
        assertThat(KernelFormats.isBzImage(bzImage(4, 0x020f, 4096))).isTrue();
        assertThat(KernelFormats.bzImageProblem(bzImage(4, 0x0206, 4096), 4096)).as("2.06 is enough").isNull();

        // "HdrS" alone, as the old check accepted it: protocol 0.00
        byte[] signatureOnly = new byte[4096];
        System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, signatureOnly, 0x202, 4);
        assertThat(KernelFormats.bzImageProblem(signatureOnly, 4096)).contains("boot protocol 0.00 is older than the 2.06");
        assertThat(KernelFormats.isBzImage(signatureOnly)).isFalse();

        assertThat(KernelFormats.bzImageProblem(bzImage(4, 0x0205, 4096), 4096)).contains("boot protocol 2.05");
        assertThat(KernelFormats.bzImageProblem(new byte[4096], 4096)).contains("no 'HdrS'");
        assertThat(KernelFormats.bzImageProblem(new byte[0x100], 0x100)).as("too short to hold a header").contains("no 'HdrS'");

        // setup_sects: (n + 1) * 512 bytes of real-mode code, at most 32 KiB, and a kernel after it
        assertThat(KernelFormats.bzImageProblem(bzImage(63, 0x020f, 40_000), 40_000)).as("exactly 32 KiB").isNull();
        assertThat(KernelFormats.bzImageProblem(bzImage(64, 0x020f, 40_000), 40_000)).contains("setup_sects 64 means 33280 bytes");
        assertThat(KernelFormats.bzImageProblem(bzImage(255, 0x020f, 200_000), 200_000)).contains("setup_sects 255");
        assertThat(KernelFormats.bzImageProblem(bzImage(4, 0x020f, 2560), 2560)).contains("ends within its 2560 bytes");
        assertThat(KernelFormats.bzImageProblem(bzImage(4, 0x020f, 2561), 2561)).isNull();
        assertThat(KernelFormats.bzImageProblem(bzImage(0, 0x020f, 2560), 2560)).as("0 means 4").contains("2560 bytes");
        assertThat(KernelFormats.bzImageProblem(bzImage(7, 0x020f, 4096), -1)).as("size not known yet").isNull();
        assertThat(KernelFormats.bzImageProblem(bzImage(7, 0x020f, 4096), 4096)).contains("ends within its 4096 bytes");
    }

    @Test
    void theSetupHeaderOfDebiansCloudKernelPasses() {
        // 0x1f0..0x22f of linux-image-6.1.0-*-cloud-amd64's vmlinuz (14,149,568 bytes), as xxd shows it
        byte[] head = new byte[KernelFormats.HEAD_BYTES];
        byte[] header = HexFormat.of().parseHex("ff2701002079" + "0d000000ffff000055aa" + "eb6a48647253" + "0f020000000000" + "10c042"
                + "000100800000100000000000000000000000000000000000e05b00000000" + "0000ffffff7f");
        System.arraycopy(header, 0, head, 0x1f0, header.length);
        assertThat(KernelFormats.identify(head, 14_149_568)).isEqualTo(new KernelFormats.Identified(KernelFormats.Kind.BZIMAGE, null));
    }

    @Test
    void identifySaysWhichKernelOrWhatWasFoundInstead() {
        assertThat(KernelFormats.identify(bzImage(4, 0x020f, 4096), 4096).kind()).isEqualTo(KernelFormats.Kind.BZIMAGE);
        assertThat(KernelFormats.identify(elfHeader(2, 1, 2, 0x3e), 1 << 20).kind()).isEqualTo(KernelFormats.Kind.VMLINUX);

        KernelFormats.Identified arm = KernelFormats.identify(elfHeader(2, 1, 2, 0xb7), 1 << 20);
        assertThat(arm.kind()).isNull();
        assertThat(arm.problem()).contains("not a bootable x86-64 kernel").contains("machine 0xb7");

        KernelFormats.Identified oldHeader = KernelFormats.identify(bzImage(4, 0x0204, 4096), 4096);
        assertThat(oldHeader.kind()).isNull();
        assertThat(oldHeader.problem()).startsWith("a bzImage header, but boot protocol 2.04");

        byte[] shadow = "root:*:19000:0:99999:7:::\n".getBytes(StandardCharsets.US_ASCII);
        KernelFormats.Identified text = KernelFormats.identify(shadow, shadow.length);
        assertThat(text.kind()).isNull();
        assertThat(text.problem()).contains("neither a Linux bzImage").contains("starts with bytes 72 6f 6f 74");
        assertThat(KernelFormats.identify(new byte[0], 0).problem()).contains("the file is empty");
    }

    /** An ELF64 LE x86-64 executable whose program headers are one PT_LOAD and one PT_NOTE over {@code notes}. */
    private static byte[] elfWithNotes(byte[] notes) {
        int phoff = 64;
        int noteAt = phoff + 2 * 56;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(noteAt + notes.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(elfHeader(2, 1, 2, 0x3e));
        b.putLong(0x20, phoff).putShort(0x36, (short) 56).putShort(0x38, (short) 2);
        b.putInt(phoff, 1); // PT_LOAD, not a note
        b.putInt(phoff + 56, 4).putLong(phoff + 56 + 8, noteAt).putLong(phoff + 56 + 32, notes.length);
        b.put(noteAt, notes);
        return b.array();
    }

    private static byte[] note(String name, int type, int descSize) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        int nameLen = (n.length + 3) & ~3;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(12 + nameLen + ((descSize + 3) & ~3)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(n.length).putInt(descSize).putInt(type).put(n);
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static boolean pvh(byte[] file) {
        for (KernelFormats.Segment s : KernelFormats.noteSegments(file)) {
            byte[] notes = java.util.Arrays.copyOfRange(file, (int) s.offset(), (int) (s.offset() + s.size()));
            if (KernelFormats.hasPvhEntry(notes)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aPvhEntryNoteIsFoundAmongOtherNotes() {
        byte[] file = elfWithNotes(concat(note("GNU", 3, 20), note("Linux", 1, 4), note("Xen", 18, 4)));
        assertThat(KernelFormats.noteSegments(file)).hasSize(1);
        assertThat(pvh(file)).isTrue();
    }

    @Test
    void noPvhWithoutXensPhys32EntryNote() {
        assertThat(pvh(elfWithNotes(concat(note("GNU", 3, 20), note("Xen", 17, 8))))).as("another Xen note").isFalse();
        assertThat(pvh(elfWithNotes(note("Xe", 18, 4)))).as("type 18 under another name").isFalse();
        assertThat(pvh(elfWithNotes(new byte[0]))).isFalse();
    }

    @Test
    void truncatedOrHostileNotesEndTheScan() {
        byte[] xen = note("Xen", 18, 4);
        assertThat(KernelFormats.hasPvhEntry(java.util.Arrays.copyOf(xen, xen.length - 1))).as("cut short").isFalse();
        byte[] huge = note("GNU", 3, 4);
        huge[4] = (byte) 0xff; // a descriptor size of ~4 GiB
        huge[5] = (byte) 0xff;
        huge[6] = (byte) 0xff;
        huge[7] = (byte) 0xff;
        assertThat(KernelFormats.hasPvhEntry(concat(huge, xen))).isFalse();
        assertThat(KernelFormats.noteSegments(bzImage(4, 0x020f, 8192))).as("not an ELF").isEmpty();
        assertThat(KernelFormats.noteSegments(elfHeader(1, 1, 2, 0x3e))).as("ELF32").isEmpty();
    }
}
