package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InitramfsFormatsTest {
    private static byte[] startingWith(int padding, int... magic) {
        byte[] head = new byte[InitramfsFormats.HEAD_BYTES];
        new Random(magic.length).nextBytes(head);
        Arrays.fill(head, 0, padding, (byte) 0);
        for (int i = 0; i < magic.length; i++) {
            head[padding + i] = (byte) magic[i];
        }
        return head;
    }

    private static int[] ascii(String s) {
        return s.chars().toArray();
    }

    @Test
    void acceptsWhatTheKernelUnpacks() {
        Map<String, int[]> formats = Map.of(
                "cpio newc", ascii("070701"),
                "cpio crc", ascii("070702"),
                "gzip compressed", new int[] {0x1f, 0x8b, 0x08},
                "bzip2 compressed", ascii("BZh9"),
                "lzma compressed", new int[] {0x5d, 0x00, 0x00, 0x80, 0x00},
                "xz compressed", new int[] {0xfd, '7', 'z', 'X', 'Z', 0x00},
                "lzo compressed", new int[] {0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a},
                "lz4 compressed", new int[] {0x02, 0x21, 0x4c, 0x18},
                "zstd compressed", new int[] {0x28, 0xb5, 0x2f, 0xfd});
        formats.forEach((format, magic) -> {
            assertThat(InitramfsFormats.identify(startingWith(0, magic))).as(format)
                    .isEqualTo(new InitramfsFormats.Identified(format, null));
            assertThat(InitramfsFormats.identify(startingWith(512, magic)).format()).as(format + " after NUL padding").isEqualTo(format);
        });
    }

    @Test
    void refusesTextAndFormatsTheKernelDoesNotRead() {
        byte[] shadow = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n".getBytes(StandardCharsets.US_ASCII);
        InitramfsFormats.Identified text = InitramfsFormats.identify(shadow);
        assertThat(text.ok()).isFalse();
        assertThat(text.problem()).contains("starts with bytes 72 6f 6f 74").contains(InitramfsFormats.EXPECTED);

        assertThat(InitramfsFormats.identify(startingWith(0, ascii("070707"))).problem()).contains("odc").contains("cpio -H newc");
        assertThat(InitramfsFormats.identify(startingWith(2, ascii("070701"))).problem()).as("newc must be 4-byte aligned")
                .contains("after 2 NUL bytes");
        assertThat(InitramfsFormats.identify(startingWith(0, 0x1f, 0x8b, 0x07)).ok()).as("gzip, but not deflate").isFalse();
        assertThat(InitramfsFormats.identify(startingWith(0, 0x7f, 'E', 'L', 'F')).problem()).contains("bytes 7f 45 4c 46");
        assertThat(InitramfsFormats.identify(new byte[0]).problem()).contains("empty");
        assertThat(InitramfsFormats.identify(new byte[InitramfsFormats.HEAD_BYTES]).problem()).contains("only NUL bytes");
        assertThat(InitramfsFormats.identify(new byte[] {0x1f}).ok()).as("a magic cut short").isFalse();
    }
}
