package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessExecutorTest {
    private final ProcessExecutor exec = new ProcessExecutor(Duration.ofSeconds(10));

    @Test
    void keepsStdoutAndStderrApartWithTheExitStatus() {
        Executor.Result r = exec.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(r.exitStatus()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.ok()).isFalse();
    }

    @Test
    void aMissingProgramIsStatus127() {
        Executor.Result r = exec.run(List.of("banger-no-such-program-xyz"));
        assertThat(r.programMissing()).isTrue();
        assertThat(r.stderr()).contains("banger-no-such-program-xyz");
    }

    @Test
    void runsInTheCLocale() {
        assertThat(exec.run(List.of("sh", "-c", "echo $LC_ALL")).stdout()).isEqualTo("C\n");
    }

    @Test
    void aCommandOverItsTimeIsKilled() {
        ProcessExecutor quick = new ProcessExecutor(Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThatThrownBy(() -> quick.run(List.of("sleep", "30"))).isInstanceOf(BangerException.class)
                .hasMessageContaining("did not finish");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
}
