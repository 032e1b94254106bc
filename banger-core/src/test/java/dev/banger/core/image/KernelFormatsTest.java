package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;

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
    void findsTheLz4LegacyFrameAndTheBzImageHeader() {
        byte[] image = new byte[0x300];
        image[0x202] = 'H';
        image[0x203] = 'd';
        image[0x204] = 'r';
        image[0x205] = 'S';
        assertThat(KernelFormats.isBzImage(image)).isTrue();
        assertThat(KernelFormats.lz4LegacyOffset(image)).isEqualTo(-1);
        image[0x250] = 0x02;
        image[0x251] = 0x21;
        image[0x252] = 0x4C;
        image[0x253] = 0x18;
        assertThat(KernelFormats.lz4LegacyOffset(image)).isEqualTo(0x250);
        assertThat(KernelFormats.isBzImage(new byte[0x100])).isFalse();
    }
}
