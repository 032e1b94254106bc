package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class CobsTest {

    private static byte[] encode(byte[] data) {
        byte[] out = new byte[Cobs.maxEncodedLength(data.length)];
        Cobs.Encoder encoder = new Cobs.Encoder();
        encoder.begin(out, 0);
        encoder.put(data, 0, data.length);
        return Arrays.copyOf(out, encoder.finish());
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void encodesThePapersExamples() {
        assertThat(encode(bytes())).containsExactly(bytes(0x01));
        assertThat(encode(bytes(0x00))).containsExactly(bytes(0x01, 0x01));
        assertThat(encode(bytes(0x00, 0x00))).containsExactly(bytes(0x01, 0x01, 0x01));
        assertThat(encode(bytes(0x00, 0x11, 0x00))).containsExactly(bytes(0x01, 0x02, 0x11, 0x01));
        assertThat(encode(bytes(0x11, 0x22, 0x00, 0x33))).containsExactly(bytes(0x03, 0x11, 0x22, 0x02, 0x33));
        assertThat(encode(bytes(0x11, 0x22, 0x33, 0x44))).containsExactly(bytes(0x05, 0x11, 0x22, 0x33, 0x44));
        assertThat(encode(bytes(0x11, 0x00, 0x00, 0x00))).containsExactly(bytes(0x02, 0x11, 0x01, 0x01, 0x01));
    }

    @Test
    void aFullGroupOf254BytesHasCode0xFFAndImpliesNoZero() {
        byte[] run = new byte[254];
        for (int i = 0; i < run.length; i++) {
            run[i] = (byte) (i + 1);
        }
        byte[] encoded = encode(run);
        assertThat(encoded[0] & 0xFF).isEqualTo(0xFF);
        assertThat(Arrays.copyOfRange(encoded, 1, 255)).containsExactly(run);
        // This encoder closes the full group and opens an empty last one (a legal form; the paper's
        // variant leaves it out): both decode to the same bytes.
        assertThat(encoded).hasSize(256);
        assertThat(encoded[255]).isEqualTo((byte) 0x01);
        assertThat(Wire.cobsDecode(encoded)).containsExactly(run);
        assertThat(Wire.cobsDecode(Arrays.copyOf(encoded, 255))).containsExactly(run);
        assertThat(encoded.length).isLessThanOrEqualTo(Cobs.maxEncodedLength(run.length));
    }

    @Test
    void splittingTheInputAcrossPutCallsChangesNothing() {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 7 == 0 ? 0 : i);
        }
        byte[] out = new byte[Cobs.maxEncodedLength(data.length)];
        Cobs.Encoder encoder = new Cobs.Encoder();
        encoder.begin(out, 0);
        for (int i = 0; i < data.length; i += 13) {
            encoder.put(data, i, Math.min(13, data.length - i));
        }
        assertThat(Arrays.copyOf(out, encoder.finish())).containsExactly(encode(data));
    }

    @Property(tries = 300)
    void roundTripsThroughTheReferenceDecoderWithNoZeroAndBoundedOverhead(@ForAll @Size(max = 3000) byte[] data) {
        byte[] encoded = encode(data);
        assertThat(encoded).doesNotContain((byte) 0);
        assertThat(encoded.length).isLessThanOrEqualTo(Cobs.maxEncodedLength(data.length));
        assertThat(Wire.cobsDecode(encoded)).containsExactly(data);
    }

    @Property(tries = 100)
    void longRunsWithoutZerosRoundTrip(@ForAll @Size(min = 200, max = 1200) byte[] data) {
        byte[] nonZero = data.clone();
        for (int i = 0; i < nonZero.length; i++) {
            if (nonZero[i] == 0) {
                nonZero[i] = 1;
            }
        }
        byte[] encoded = encode(nonZero);
        assertThat(encoded.length).isLessThanOrEqualTo(Cobs.maxEncodedLength(nonZero.length));
        assertThat(Wire.cobsDecode(encoded)).containsExactly(nonZero);
    }
}
