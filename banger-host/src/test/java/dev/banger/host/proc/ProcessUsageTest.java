package dev.banger.host.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The real /proc path, on a real process: this test's own JVM, kept busy by a spinning thread. */
class ProcessUsageTest {
    @Test
    void aBusyProcessShowsItsCpuAndItsResidentMemory() throws Exception {
        AtomicBoolean spin = new AtomicBoolean(true);
        Thread spinner = Thread.ofPlatform().daemon().start(() -> {
            long x = 0;
            while (spin.get()) {
                x += System.nanoTime() % 7;
            }
            if (x == 42) {
                System.out.print("");
            }
        });
        try {
            ProcessUsage u = ProcessUsage.sample(ProcessHandle.current().pid(), Duration.ofMillis(300)).orElseThrow();
            assertThat(u.cores()).as("one thread spinning").isGreaterThan(0.3);
            assertThat(u.rssBytes()).as("a JVM's resident memory").isGreaterThan(10L << 20);
        } finally {
            spin.set(false);
            spinner.join();
        }
    }

    @Test
    void aProcessThatIsGoneHasNoSample() {
        assertThat(ProcessUsage.sample(Integer.MAX_VALUE - 1, Duration.ofMillis(1))).isEmpty();
    }

    @Test
    void coresAreTicksOverWallTime() {
        assertThat(ProcessUsage.cores(50, 1_000_000_000L)).isCloseTo(0.5, within(1e-9));
        assertThat(ProcessUsage.cores(200, 1_000_000_000L)).isCloseTo(2.0, within(1e-9));
        assertThat(ProcessUsage.cores(-3, 1_000_000_000L)).isZero();
    }
}
