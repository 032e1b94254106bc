package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file-backed ring of a detached process's output: what it keeps, what it drops and says it dropped. */
class OutputRingTest {
    @TempDir
    Path dir;

    /** Everything a reader gets from {@code from} on, with the bytes the ring said it dropped. */
    private static ByteArrayOutputStream drain(OutputRing ring, long from, long[] dropped) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[1000];
        long at = from;
        while (true) {
            OutputRing.Chunk c = ring.read(at, buf, 0);
            dropped[0] += c.dropped();
            got.write(buf, 0, c.length());
            at = c.next();
            if (c.length() == 0) {
                return got;
            }
        }
    }

    @Test
    void keepsTheLastCapacityBytesWhateverTheWritesSizes() throws Exception {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            int capacity = 1 + random.nextInt(5000);
            Path file = dir.resolve("ring" + round);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            try (OutputRing ring = new OutputRing(file, capacity)) {
                int writes = random.nextInt(20);
                for (int i = 0; i < writes; i++) {
                    byte[] b = new byte[random.nextInt(3 * capacity + 1)];
                    random.nextBytes(b);
                    int off = b.length == 0 ? 0 : random.nextInt(b.length);
                    ring.append(b, off, b.length - off);
                    all.write(b, off, b.length - off);
                }
                byte[] expected = all.toByteArray();
                long[] dropped = {0};
                byte[] got = drain(ring, 0, dropped).toByteArray();
                int kept = Math.min(capacity, expected.length);
                assertThat(got).as("round %d", round).isEqualTo(Arrays.copyOfRange(expected, expected.length - kept, expected.length));
                assertThat(dropped[0]).isEqualTo(expected.length - kept).isEqualTo(ring.dropped());
                assertThat(ring.written()).isEqualTo(expected.length);
                assertThat(Files.size(file)).as("the file never grows past the capacity").isLessThanOrEqualTo(capacity);
            }
            assertThat(file).as("closing removes the file").doesNotExist();
        }
    }

    @Test
    void aReaderThatFellBehindLearnsHowMuchItMissed() throws Exception {
        try (OutputRing ring = new OutputRing(dir.resolve("r"), 10)) {
            ring.append("0123456789".getBytes(), 0, 10);
            byte[] buf = new byte[4];
            OutputRing.Chunk first = ring.read(0, buf, 0);
            assertThat(new String(buf, 0, first.length())).isEqualTo("0123");
            ring.append("abcdefgh".getBytes(), 0, 8); // 4..7 are kept, 0..3 and a reader at 4 lose nothing yet
            OutputRing.Chunk next = ring.read(first.next(), buf, 0);
            assertThat(next.dropped()).as("8 written over 10: 4 and 5 are gone").isEqualTo(4);
            assertThat(next.from()).isEqualTo(8);
            assertThat(new String(buf, 0, next.length())).isEqualTo("89");
        }
    }

    @Test
    void readsWaitForOutputAndEndOnceTheProcessEnded() throws Exception {
        try (OutputRing ring = new OutputRing(dir.resolve("r"), 64)) {
            byte[] buf = new byte[64];
            long t0 = System.nanoTime();
            OutputRing.Chunk none = ring.read(0, buf, 200);
            assertThat(none.length()).isZero();
            assertThat(none.ended()).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(100);
                    ring.append("late".getBytes(), 0, 4);
                    ring.end();
                    ring.append("after the end".getBytes(), 0, 13);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            OutputRing.Chunk late = ring.read(0, buf, 10_000);
            assertThat(new String(buf, 0, late.length())).isEqualTo("late");
            OutputRing.Chunk end = ring.read(late.next(), buf, 10_000);
            assertThat(end.length()).isZero();
            assertThat(end.ended()).isTrue();
            assertThat(ring.written()).as("nothing is kept after the end").isEqualTo(4);
        }
    }
}
