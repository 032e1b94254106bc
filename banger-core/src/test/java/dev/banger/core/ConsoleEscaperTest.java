package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleEscaperTest {
    private static String escape(String text) {
        return escape(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String escape(byte[] bytes) {
        ConsoleEscaper e = new ConsoleEscaper();
        return e.escape(bytes) + e.finish();
    }

    /** Nothing a terminal acts on may be left in the output, except newline and tab. */
    private static void assertInert(String out) {
        assertThat(out.codePoints().filter(cp -> cp != '\n' && cp != '\t').noneMatch(Text::isControl)).as(out).isTrue();
    }

    @Test
    void osc52ClipboardWritesAreShownNotObeyed() {
        String out = escape("before\u001b]52;c;cm0gLXJmIH4=\u0007after\n");
        assertThat(out).isEqualTo("before\\e]52;c;cm0gLXJmIH4=\\aafter\n");
        assertInert(out);
        // The ST-terminated form too.
        assertThat(escape("\u001b]52;p;eA==\u001b\\")).isEqualTo("\\e]52;p;eA==\\e\\");
    }

    @Test
    void titleChangesAndScreenClearsAreShown() {
        assertThat(escape("\u001b]0;pwned\u0007\u001b]2;x\u001b\\")).isEqualTo("\\e]0;pwned\\a\\e]2;x\\e\\");
        assertThat(escape("\u001b[2J\u001b[H\u001b[3J\u001bc")).isEqualTo("\\e[2J\\e[H\\e[3J\\ec");
        assertThat(escape("\u001b[31mred\u001b[0m")).isEqualTo("\\e[31mred\\e[0m");
    }

    @Test
    void c1ControlsDelAndOtherC0AreEscaped() {
        String out = escape("\u009b2J\u009d0;t\u009c\u007f\u0000\u0008\u000b\u000c\u0001");
        assertThat(out).isEqualTo("\\u009b2J\\u009d0;t\\u009c\\x7f\\x00\\b\\v\\f\\x01");
        assertInert(out);
    }

    @Test
    void crLfEndsALineButALoneCrIsShown() {
        assertThat(escape("one\r\ntwo\r\r\nthree\n")).isEqualTo("one\ntwo\nthree\n");
        // A lone CR would let the guest write over what the line said before.
        assertThat(escape("rm -rf /\rls      \n")).isEqualTo("rm -rf /\\rls      \n");
        assertThat(escape("ends with cr\r")).isEqualTo("ends with cr\\r");
    }

    @Test
    void utf8TextStaysReadableAndTabsStay() {
        assertThat(escape("héllo wörld — ✓ 日本 🙂\tend\n")).isEqualTo("héllo wörld — ✓ 日本 🙂\tend\n");
    }

    @Test
    void bytesThatAreNotUtf8AreShownAsHex() {
        byte[] bytes = {'a', (byte) 0xff, 'b', (byte) 0x9b, '2', 'J', (byte) 0xc3, '(', '\n'};
        String out = escape(bytes);
        assertThat(out).isEqualTo("a\\xffb\\x9b2J\\xc3(\n");
        assertInert(out);
    }

    @Test
    void sequencesCutBetweenChunksAreJoined() {
        byte[] all = "ü\r\n🙂\u001b[2J".getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        ConsoleEscaper e = new ConsoleEscaper();
        for (byte b : all) { // one byte at a time: every boundary is cut
            sb.append(e.escape(new byte[] {b}));
        }
        sb.append(e.finish());
        assertThat(sb.toString()).isEqualTo("ü\n🙂\\e[2J");
    }

    @Test
    void aSequenceCutOffAtTheEndOfTheLogIsShownAsBytes() {
        byte[] cut = {'o', 'k', (byte) 0xe2, (byte) 0x9c};
        ConsoleEscaper e = new ConsoleEscaper();
        assertThat(e.escape(cut)).isEqualTo("ok");
        assertThat(e.finish()).isEqualTo("\\xe2\\x9c");
    }

    @Test
    void isControlIsWhatATerminalActsOn() {
        assertThat(Text.isControl(0x1b)).isTrue();
        assertThat(Text.isControl('\n')).isTrue();
        assertThat(Text.isControl(0x7f)).isTrue();
        assertThat(Text.isControl(0x9b)).isTrue();
        assertThat(Text.isControl(' ')).isFalse();
        assertThat(Text.isControl(0xa0)).isFalse();
        assertThat(Text.isControl('é')).isFalse();
        assertThat(Text.printable("a\u001b[2Jb\n", 20)).isEqualTo("a?[2Jb?");
    }
}
