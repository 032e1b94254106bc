package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PeerTextTest {
    @Test
    void controlCharactersAreShownNotObeyed() {
        byte[] b = "line\r\nforged: ok\u001b]0;title\u0007\u2028".getBytes(StandardCharsets.UTF_8);
        assertThat(PeerText.decode(b, 0, b.length, 1000)).isEqualTo("line\\u000d\\u000aforged: ok\\u001b]0;title\\u0007\\u2028");
    }

    @Test
    void malformedUtf8BecomesReplacementCharacters() {
        byte[] b = {'a', (byte) 0xC3, 'b', (byte) 0xFF};
        assertThat(PeerText.decode(b, 0, b.length, 1000)).isEqualTo("a\uFFFDb\uFFFD");
    }

    @Test
    void longTextIsCutAndSaysSo() {
        byte[] b = "x".repeat(5000).getBytes(StandardCharsets.UTF_8);
        assertThat(PeerText.decode(b, 0, b.length, 100)).isEqualTo("x".repeat(100) + " [cut]");
    }

    @Property(tries = 200)
    void encodingCutsOnACharacterBoundaryWithinTheBound(@ForAll String text, @ForAll @IntRange(min = 0, max = 50) int max) {
        byte[] b = PeerText.encode(text, max);
        assertThat(b.length).isLessThanOrEqualTo(max);
        // cut on a boundary: the bytes decode to a prefix of the text (as UTF-8 can carry it), no broken character
        String whole = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        assertThat(whole).startsWith(new String(b, StandardCharsets.UTF_8));
        if (text.getBytes(StandardCharsets.UTF_8).length <= max) {
            assertThat(b).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
