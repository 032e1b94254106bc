package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.channel.Handshake.Agreed;
import dev.banger.channel.Handshake.Incompatible;
import dev.banger.channel.Handshake.Outcome;
import dev.banger.channel.Handshake.Side;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    private static Hello hello(int oldest, int newest, String software) {
        return new Hello(newest, oldest, Frames.MAX_PAYLOAD, 256 * 1024, 42, software);
    }

    @Test
    void equalVersionsAgreeOnTheSmallerPayloadAndThePeersWindow() {
        Hello mine = new Hello(1, 1, 65536, 256 * 1024, 1, "banger 0.2.0");
        Hello theirs = new Hello(1, 1, 4096, 8192, 1, "banger 0.1.0");
        assertThat(Handshake.decide(Side.HOST, mine, theirs)).isEqualTo(new Agreed(1, 4096, 8192));
    }

    @Test
    void overlappingRangesUseTheNewestBothSpeak() {
        assertThat(Handshake.decide(Side.HOST, hello(1, 3, "a"), hello(2, 5, "b"))).isEqualTo(new Agreed(3, 65536, 256 * 1024));
    }

    @Test
    void aHostNewerThanTheImageSaysToRebuildTheImage() {
        Outcome o = Handshake.decide(Side.HOST, hello(2, 2, "banger 0.3.0"), hello(1, 1, "banger 0.1.0"));
        assertThat(o).isInstanceOf(Incompatible.class);
        assertThat(((Incompatible) o).message()).isEqualTo(
                "the guest agent in this VM's image (banger 0.1.0) speaks channel protocol 1, but bangerd (banger 0.3.0) needs "
                        + "protocol 2 or newer: rebuild the image with this banger (banger image build) and create the VM again from it");
    }

    @Test
    void aHostOlderThanTheImageSaysToUpgradeBanger() {
        Outcome o = Handshake.decide(Side.HOST, hello(1, 1, "banger 0.1.0"), hello(3, 4, "banger 0.5.0"));
        assertThat(((Incompatible) o).message()).isEqualTo(
                "the guest agent in this VM's image (banger 0.5.0) needs channel protocol 3 or newer, but bangerd (banger 0.1.0) "
                        + "speaks at most protocol 1: upgrade banger on this host, or use an image built by this banger (banger image build)");
    }

    @Test
    void theGuestsViewNamesTheSameFixes() {
        Outcome hostOld = Handshake.decide(Side.GUEST, hello(2, 2, "banger 0.3.0"), hello(1, 1, "banger 0.1.0"));
        assertThat(((Incompatible) hostOld).message()).isEqualTo("bangerd (banger 0.1.0) speaks channel protocol 1, but this guest agent "
                + "(banger 0.3.0) needs protocol 2 or newer: upgrade banger on the host, or use an image built by the host's banger");
        Outcome guestOld = Handshake.decide(Side.GUEST, hello(1, 1, "banger 0.1.0"), hello(2, 3, "banger 0.3.0"));
        assertThat(((Incompatible) guestOld).message()).isEqualTo("bangerd (banger 0.3.0) needs channel protocol 2 or newer, but this "
                + "guest agent (banger 0.1.0) speaks at most protocol 1: rebuild the image with the host's banger (banger image build)");
    }

    @Test
    void aRangeIsPrintedAsARange() {
        Outcome o = Handshake.decide(Side.HOST, hello(4, 4, "new"), hello(1, 2, "old"));
        assertThat(((Incompatible) o).message()).contains("speaks channel protocol 1 to 2");
    }

    @Test
    void nonsenseFromThePeerIsIncompatibleNotAgreed() {
        Hello mine = hello(1, 1, "me");
        assertThat(Handshake.decide(Side.HOST, mine, new Hello(1, 2, 65536, 65536, 0, "x"))).isInstanceOf(Incompatible.class);
        assertThat(Handshake.decide(Side.HOST, mine, new Hello(1, 0, 65536, 65536, 0, "x"))).isInstanceOf(Incompatible.class);
        assertThat(Handshake.decide(Side.HOST, mine, new Hello(1, 1, 100, 65536, 0, "x"))).isInstanceOf(Incompatible.class);
        assertThat(Handshake.decide(Side.HOST, mine, new Hello(1, 1, -1, 65536, 0, "x")))
                .isInstanceOfSatisfying(Incompatible.class, i -> assertThat(i.message()).contains("4294967295"));
        assertThat(Handshake.decide(Side.HOST, mine, new Hello(1, 1, 65536, 10, 0, "x"))).isInstanceOf(Incompatible.class);
        assertThat(Handshake.decide(Side.HOST, mine, new Hello(1, 1, 65536, Handshake.MAX_WINDOW + 1, 0, "x"))).isInstanceOf(Incompatible.class);
    }

    @Property(tries = 500)
    void bothSidesReachTheSameVerdict(@ForAll @IntRange(min = 1, max = 6) int aOld, @ForAll @IntRange(min = 0, max = 3) int aSpan,
            @ForAll @IntRange(min = 1, max = 6) int bOld, @ForAll @IntRange(min = 0, max = 3) int bSpan) {
        Hello host = hello(aOld, aOld + aSpan, "host");
        Hello guest = hello(bOld, bOld + bSpan, "guest");
        Outcome h = Handshake.decide(Side.HOST, host, guest);
        Outcome g = Handshake.decide(Side.GUEST, guest, host);
        assertThat(h.getClass()).isEqualTo(g.getClass());
        boolean overlap = Math.max(aOld, bOld) <= Math.min(aOld + aSpan, bOld + bSpan);
        assertThat(h instanceof Agreed).isEqualTo(overlap);
        if (h instanceof Agreed(int protocol, int p, int w)) {
            assertThat(protocol).isEqualTo(Math.min(aOld + aSpan, bOld + bSpan)).isEqualTo(((Agreed) g).protocol());
        }
    }

    @Test
    void helloRoundTripsAndIgnoresFieldsOfLaterProtocols() {
        Hello h = new Hello(3, 1, 32768, 65536, 0x1234_5678_9ABC_DEF0L, "banger 0.1.0");
        byte[] b = h.encode();
        assertThat(Hello.decode(b, 0, b.length)).contains(h);
        byte[] longer = Arrays.copyOf(b, b.length + 10);
        assertThat(Hello.decode(longer, 0, longer.length)).contains(h);
    }

    @Test
    void aShortOrLyingHelloDecodesToNothing() {
        byte[] b = hello(1, 1, "banger").encode();
        for (int n = 0; n < b.length; n++) {
            assertThat(Hello.decode(b, 0, n)).as("first %d bytes", n).isEmpty();
        }
        b[21] = (byte) 200; // software length beyond the payload
        assertThat(Hello.decode(b, 0, b.length)).isEmpty();
    }

    @Test
    void aHostileSoftwareStringComesOutShortAndInert() {
        Hello h = new Hello(1, 1, 65536, 65536, 0, "evil\n\u001b[2J" + "x".repeat(500));
        byte[] b = h.encode();
        Hello decoded = Hello.decode(b, 0, b.length).orElseThrow();
        assertThat(decoded.software()).startsWith("evil\\u000a\\u001b[2J").doesNotContain("\n").doesNotContain("\u001b");
        assertThat(decoded.software().length()).isLessThan(Hello.MAX_SOFTWARE + 20);
    }
}
