package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskOutputTest {
    @TempDir
    Path dir;

    @Test
    void closingEndsACopyStillWaitingForNomadsReader() throws Exception {
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        for (Path p : new Path[] {out, err}) {
            assertThat(new ProcessBuilder("mkfifo", p.toString()).start().waitFor()).isZero();
        }
        TaskOutput t = TaskOutput.start(new FakeBangerd(), "nomad-x-0123456789abcdef", out.toString(), err.toString());
        assertThat(t.await(Duration.ofMillis(300))).as("blocked opening the FIFO: nobody reads it").isFalse();
        t.close();
        assertThat(t.await(Duration.ofSeconds(10))).as("the thread ended").isTrue();
    }
}
