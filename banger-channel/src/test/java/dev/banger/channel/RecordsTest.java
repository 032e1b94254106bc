package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class RecordsTest {
    @Property(tries = 200)
    void recordsRoundTrip(@ForAll @IntRange(min = 0, max = 255) int type, @ForAll @Size(max = 3000) byte[] payload) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Records.write(out, type, payload);
        Records.write(out, Exec.EXIT, Records.u32(137));
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        Records.Record r = Records.read(in);
        assertThat(r.type()).isEqualTo(type);
        assertThat(r.payload()).isEqualTo(payload);
        assertThat(Records.u32(Records.read(in).payload())).isEqualTo(137);
        assertThat(Records.read(in)).as("a clean end between records").isNull();
    }

    @Test
    void aLengthBeyondTheBoundIsRefusedWithoutAllocatingIt() {
        byte[] hostile = {(byte) Exec.STDOUT, (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> Records.read(new ByteArrayInputStream(hostile))).isInstanceOf(IOException.class)
                .hasMessageContaining("more than the 65536");
    }

    @Test
    void aStreamThatEndsInsideARecordIsAnError() {
        assertThatThrownBy(() -> Records.read(new ByteArrayInputStream(new byte[] {17, 0, 0}))).hasMessageContaining("inside a record header");
        assertThatThrownBy(() -> Records.read(new ByteArrayInputStream(new byte[] {17, 0, 0, 0, 9, 1, 2})))
                .hasMessageContaining("inside a record of 9 bytes");
        assertThatThrownBy(() -> Records.u32(new byte[3])).isInstanceOf(IOException.class);
    }

    @Test
    void resizeCarriesRowsThenColumns() throws IOException {
        byte[] p = Exec.resize(40, 132);
        assertThat(Records.u32(new byte[] {p[0], p[1], p[2], p[3]})).isEqualTo(40);
        assertThat(Records.u32(new byte[] {p[4], p[5], p[6], p[7]})).isEqualTo(132);
        assertThatThrownBy(() -> Records.write(new ByteArrayOutputStream(), 1, new byte[Records.MAX_PAYLOAD + 1]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
