package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LineReaderTest {
    private final AtomicInteger starts = new AtomicInteger();

    private LineReader reader(String input, int max) {
        return new LineReader(Channels.newChannel(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8))), max,
                starts::incrementAndGet);
    }

    private static String text(byte[] line) {
        return line == null ? null : new String(line, StandardCharsets.UTF_8);
    }

    @Test
    void eachLineThatHasABytePastItsNewlineStartsOnce() throws Exception {
        LineReader r = reader("{\"a\":1}\n\n \n{\"b\"", 100);

        assertThat(text(r.next())).isEqualTo("{\"a\":1}");
        assertThat(starts).hasValue(1);
        assertThat(text(r.next())).as("an empty line has no first byte").isEmpty();
        assertThat(starts).hasValue(1);
        assertThat(text(r.next())).isEqualTo(" ");
        assertThat(starts).hasValue(2);
        assertThat(r.next()).as("a partial line at the end of the stream is dropped").isNull();
        assertThat(starts).as("but it had begun").hasValue(3);
    }

    @Test
    void aLineLongerThanTheLimitIsRefusedBeforeItIsBuffered() {
        LineReader r = reader("x".repeat(11) + "\n", 10);

        assertThatThrownBy(r::next).isInstanceOf(LineReader.LineTooLongException.class);
    }
}
