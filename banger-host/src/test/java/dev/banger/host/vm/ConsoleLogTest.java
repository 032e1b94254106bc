package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ConsoleLogTest {
    @TempDir
    Path dir;

    @Test
    void findsTheMarkerAfterTheOffsetOnly() throws Exception {
        Path log = dir.resolve("console.log");
        Files.writeString(log, "old boot\nbanger-init: ready\n");
        long from = ConsoleLog.size(log);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(200);
                Files.writeString(log, "[    0.1] Linux\n" + "x".repeat(200_000) + "\nbanger-init: ready\n", StandardOpenOption.APPEND);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long end = ConsoleLog.awaitMarker(log, from, ConsoleLog.READY_MARKER, Duration.ofSeconds(10), () -> true);
        writer.join();
        String text = Files.readString(log);
        assertThat(end).isGreaterThan(from);
        assertThat(text.substring(0, (int) end)).endsWith("banger-init: ready");
    }

    @Test
    void aMarkerSplitAcrossReadsIsFound() throws Exception {
        Path log = dir.resolve("console.log");
        byte[] pad = "y".repeat(64 * 1024 - 5).getBytes(StandardCharsets.UTF_8); // the marker straddles the 64 KiB chunk
        Files.write(log, pad);
        Files.writeString(log, "banger-init: ready\n", StandardOpenOption.APPEND);
        assertThat(ConsoleLog.awaitMarker(log, 0, ConsoleLog.READY_MARKER, Duration.ofSeconds(5), () -> true))
                .isEqualTo(pad.length + ConsoleLog.READY_MARKER.length());
    }

    @Test
    void anExitEndsTheWaitWithAPointerToTheLog() throws Exception {
        Path log = dir.resolve("console.log");
        Files.writeString(log, "Kernel panic - not syncing\n");
        AtomicBoolean running = new AtomicBoolean(true);
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            running.set(false);
        });
        assertThatThrownBy(() -> ConsoleLog.awaitMarker(log, 0, ConsoleLog.READY_MARKER, Duration.ofSeconds(10), running::get))
                .isInstanceOf(BangerException.class).hasMessageContaining("QEMU exited before the console showed")
                .hasMessageContaining(log.toString());
    }

    @Test
    void outputWrittenJustBeforeTheExitStillCounts() throws Exception {
        Path log = dir.resolve("console.log");
        Files.writeString(log, "banger-init: ready\n");
        assertThat(ConsoleLog.awaitMarker(log, 0, ConsoleLog.READY_MARKER, Duration.ofSeconds(5), () -> false)).isEqualTo(18);
    }

    @Test
    void timeoutAndMissingFile() {
        Path log = dir.resolve("never.log");
        assertThat(ConsoleLog.size(log)).isZero();
        assertThatThrownBy(() -> ConsoleLog.awaitMarker(log, 0, ConsoleLog.READY_MARKER, Duration.ofMillis(200), () -> true))
                .isInstanceOf(BangerException.class).hasMessageContaining("did not show 'banger-init: ready' within 0 s");
    }
}
