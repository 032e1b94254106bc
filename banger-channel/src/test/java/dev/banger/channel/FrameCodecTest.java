package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    @Provide
    Arbitrary<Wire.Frame> frames() {
        Arbitrary<byte[]> payloads = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(6000),
                // mostly zeros or no zeros at all: COBS's two extremes
                Arbitraries.of((byte) 0, (byte) 1).array(byte[].class).ofMaxSize(2000),
                Arbitraries.bytes().between((byte) 1, (byte) 127).array(byte[].class).ofMaxSize(2000));
        return Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(0, 255), payloads).as(Wire.Frame::new);
    }

    @Provide
    Arbitrary<List<Wire.Frame>> fewFrames() {
        return frames().list().ofMaxSize(8);
    }

    @Provide
    Arbitrary<List<Wire.Frame>> manyFrames() {
        return frames().list().ofMinSize(1).ofMaxSize(30);
    }

    private static byte[] wire(Wire.Frame f) {
        return Wire.frame(f.streamId(), f.type(), f.payload());
    }

    @Property(tries = 300)
    void aFrameRoundTrips(@ForAll("frames") Wire.Frame frame) {
        byte[] bytes = wire(frame);
        assertThat(Arrays.copyOf(bytes, bytes.length - 1)).doesNotContain((byte) 0);
        assertThat(bytes[bytes.length - 1]).isZero();
        assertThat(bytes.length).isLessThanOrEqualTo(Frames.maxWireLength(frame.payload().length));
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), bytes);
        assertThat(found.frames).containsExactly(frame);
        assertThat(found.garbage).isEmpty();
    }

    @Property(tries = 150)
    void anySplitOfTheStreamDecodesTheSame(@ForAll("fewFrames") List<Wire.Frame> frames,
            @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 1, max = 5000) Integer> cuts) {
        byte[] stream = Wire.concat(frames.stream().map(FrameCodecTest::wire).toArray(byte[][]::new));
        FrameDecoder decoder = new FrameDecoder(Frames.MAX_PAYLOAD);
        Wire.Collector found = new Wire.Collector();
        int at = 0;
        int cut = 0;
        while (at < stream.length) {
            int n = Math.min(cuts.get(cut++ % cuts.size()), stream.length - at);
            decoder.feed(stream, at, n, found);
            at += n;
        }
        assertThat(found.frames).containsExactlyElementsOf(frames);
        assertThat(found.garbage).isEmpty();
        assertThat(decoder.buffered()).isZero();
    }

    @Property(tries = 200)
    void garbageNeverThrowsNeverOutgrowsTheBufferAndADelimiterRecovers(@ForAll @Size(max = 20000) byte[] garbage,
            @ForAll @IntRange(min = 1, max = 4096) int chunk, @ForAll("frames") Wire.Frame good) {
        FrameDecoder decoder = new FrameDecoder(4096);
        Wire.Collector found = new Wire.Collector();
        for (int at = 0; at < garbage.length; at += chunk) {
            decoder.feed(garbage, at, Math.min(chunk, garbage.length - at), found);
            assertThat(decoder.buffered()).isLessThanOrEqualTo(decoder.capacity());
        }
        int before = found.frames.size();
        Wire.Frame small = new Wire.Frame(good.streamId(), good.type(), Arrays.copyOf(good.payload(), Math.min(4096, good.payload().length)));
        found.feed(decoder, Wire.concat(new byte[] {0}, wire(small)));
        assertThat(found.frames).hasSize(before + 1);
        assertThat(found.frames.getLast()).isEqualTo(small);
    }

    @Property(tries = 200)
    void aCutFrameIsDroppedAtTheNextDelimiterAndTheNextFrameSurvives(@ForAll("frames") Wire.Frame first,
            @ForAll("frames") Wire.Frame second, @ForAll @IntRange(min = 1, max = 100000) int cutAt) {
        byte[] whole = wire(first);
        byte[] cut = Arrays.copyOf(whole, 1 + cutAt % (whole.length - 2)); // at least its last byte and delimiter cut off
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD),
                Wire.concat(cut, new byte[] {0}, wire(second)));
        assertThat(found.frames).containsExactly(second);
        assertThat(found.garbage).hasSize(1);
    }

    @Test
    void withoutTheResyncDelimiterACutFrameCostsTheFrameAfterItButNoMore() {
        byte[] a = Wire.frame(1, FrameType.DATA, "aaaaaaaa".getBytes());
        byte[] b = Wire.frame(1, FrameType.DATA, "bbbbbbbb".getBytes());
        byte[] c = Wire.frame(1, FrameType.DATA, "cccccccc".getBytes());
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD),
                Wire.concat(Arrays.copyOf(a, 7), b, c));
        assertThat(found.frames).containsExactly(new Wire.Frame(1, FrameType.DATA.code(), "cccccccc".getBytes()));
        assertThat(found.garbage).hasSize(1);
    }

    @Property(tries = 300)
    void aFlippedBitIsNeverDeliveredAsAFrame(@ForAll("frames") Wire.Frame frame, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where) {
        byte[] bytes = wire(frame);
        int bit = where % ((bytes.length - 1) * 8); // any bit but the delimiter's
        bytes[bit / 8] ^= (byte) (1 << (bit % 8));
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), bytes);
        assertThat(found.frames).isEmpty();
        assertThat(found.garbage).isNotEmpty();
    }

    @Property(tries = 50)
    void concatenatedFramesAllDecodeInOrder(@ForAll("manyFrames") List<Wire.Frame> frames) {
        byte[] stream = Wire.concat(frames.stream().map(FrameCodecTest::wire).toArray(byte[][]::new));
        assertThat(new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), stream).frames).containsExactlyElementsOf(frames);
    }

    @Test
    void theLargestPayloadRoundTrips() {
        byte[] payload = new byte[Frames.MAX_PAYLOAD];
        new Random(1).nextBytes(payload);
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), Wire.frame(7, FrameType.DATA, payload));
        assertThat(found.frames).containsExactly(new Wire.Frame(7, FrameType.DATA.code(), payload));
    }

    @Test
    void anOversizedFrameIsReportedOnceDiscardedUpToTheDelimiterAndDecodingCarriesOn() {
        FrameDecoder decoder = new FrameDecoder(1024);
        byte[] big = Wire.frame(1, FrameType.DATA, new byte[2000]);
        byte[] next = Wire.frame(1, FrameType.EOF, new byte[0]);
        Wire.Collector found = new Wire.Collector().feed(decoder, Wire.concat(big, next));
        assertThat(found.garbage).singleElement().asString().contains("longer than 1037 bytes");
        assertThat(found.frames).containsExactly(new Wire.Frame(1, FrameType.EOF.code(), new byte[0]));
    }

    @Test
    void endlessBytesWithoutADelimiterAreReportedOnceAndNeverBuffered() {
        FrameDecoder decoder = new FrameDecoder(1024);
        Wire.Collector found = new Wire.Collector();
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 0x41);
        for (int i = 0; i < 64; i++) { // 4 MiB
            decoder.feed(chunk, 0, chunk.length, found);
            assertThat(decoder.buffered()).isLessThanOrEqualTo(decoder.capacity());
        }
        assertThat(found.garbage).hasSize(1);
        assertThat(found.frames).isEmpty();
        assertThat(decoder.capacity()).isEqualTo(Frames.HEADER + 1024 + Frames.TRAILER);
    }

    @Test
    void aLengthFieldThatLiesIsRejectedEvenWithAGoodCrc() {
        byte[] raw = new byte[Frames.HEADER + 3 + Frames.TRAILER];
        Frames.putInt(raw, 0, 1);
        raw[4] = (byte) FrameType.DATA.code();
        Frames.putInt(raw, 5, 4); // carries 3
        raw[9] = 'a';
        raw[10] = 'b';
        raw[11] = 'c';
        CRC32C crc = new CRC32C();
        crc.update(raw, 0, raw.length - 4);
        Frames.putInt(raw, raw.length - 4, (int) crc.getValue());
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), Wire.stuffed(raw));
        assertThat(found.frames).isEmpty();
        assertThat(found.garbage).singleElement().asString().contains("length field says 4").contains("carries 3");
    }

    @Test
    void aFrameShorterThanHeaderAndCrcIsRejected() {
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), Wire.stuffed(new byte[] {1, 2, 3, 4, 5}));
        assertThat(found.frames).isEmpty();
        assertThat(found.garbage).singleElement().asString().contains("shorter than the 13-byte minimum");
    }

    @Test
    void runsOfDelimitersArePaddingNotGarbage() {
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), new byte[100]);
        assertThat(found.frames).isEmpty();
        assertThat(found.garbage).isEmpty();
    }

    @Test
    void anUnknownTypeStillDecodesSoThatTheReceiverCanAnswerIt() {
        Wire.Collector found = new Wire.Collector().feed(new FrameDecoder(Frames.MAX_PAYLOAD), Wire.frame(0, 0x77, new byte[] {1}));
        assertThat(found.frames).containsExactly(new Wire.Frame(0, 0x77, new byte[] {1}));
        assertThat(FrameType.of(0x77)).isNull();
    }

    @Test
    void everyFrameTypeHasItsOwnCode() {
        List<Integer> codes = new ArrayList<>();
        for (FrameType t : FrameType.values()) {
            assertThat(FrameType.of(t.code())).isSameAs(t);
            codes.add(t.code());
        }
        assertThat(codes).doesNotHaveDuplicates().doesNotContain(0);
        assertThat(FrameType.of(-1)).isNull();
        assertThat(FrameType.of(256)).isNull();
    }

    @Test
    void theEncoderRefusesWhatItCannotSend() {
        FrameEncoder encoder = new FrameEncoder(1024);
        assertThatThrownBy(() -> encoder.encode(1, 4, new byte[1025], 0, 1025)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> encoder.encode(1, 256, new byte[1], 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FrameDecoder(Frames.MAX_PAYLOAD + 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
