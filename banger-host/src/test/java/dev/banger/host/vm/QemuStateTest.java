package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saving and loading a real QEMU's state ({@link QemuState}): microvm created stopped ({@code -S}, no kernel
 * needed: its memory and devices move all the same), saved to a file, loaded into a second QEMU started with
 * {@code -incoming}, resumed there.
 */
@Tag("privileged")
class QemuStateTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private final List<Process> qemus = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stopQemus() throws InterruptedException {
        for (Process p : qemus) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
    }

    private Path qemu(String name, String... extra) throws IOException, InterruptedException {
        Path qmp = dir.resolve(name + ".qmp");
        List<String> argv = new ArrayList<>(List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg", "-m", "64M", "-nodefaults",
                "-display", "none", "-S", "-qmp", "unix:" + qmp + ",server=on,wait=off"));
        argv.addAll(List.of(extra));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        qemus.add(p);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        // Listening, not only bound: a connect between QEMU's bind and its listen is refused.
        while (!Files.exists(qmp) || !dev.banger.host.proc.ProcessTable.accepts(qmp)) {
            assertThat(p.isAlive()).as("QEMU %s exited early: %s", name, Files.exists(dir.resolve(name + ".out"))
                    ? Files.readString(dir.resolve(name + ".out")) : "").isTrue();
            assertThat(System.nanoTime()).as("QMP socket within 20 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        return qmp;
    }

    @Test
    void aStateSavedFromOneQemuResumesInAnother() throws Exception {
        Path state = dir.resolve("state");
        try (QmpClient source = QmpClient.connect(qemu("source"))) {
            QemuState.Saved saved = QemuState.save(source, state, dir.resolve("save.sock"), 1L << 30, TIMEOUT);
            assertThat(saved.bytes()).isPositive().isEqualTo(Files.size(state));
            assertThat(saved.bytes()).as("zero pages are not sent: far under the 64 MiB of RAM").isLessThan(32L << 20);
            assertThat(source.status().running()).as("the source stays stopped").isFalse();
            assertThat(dir.resolve("save.sock")).doesNotExist();
        }
        Path incoming = dir.resolve("in.sock");
        try (QmpClient target = QmpClient.connect(qemu("target", "-incoming", "unix:" + incoming))) {
            assertThat(target.status().status()).isEqualTo("inmigrate");
            QemuState.load(target, incoming, state, TIMEOUT);
            assertThat(target.status().running()).as("loaded, still stopped").isFalse();
            QemuState.resume(target, TIMEOUT);
            assertThat(target.status().running()).isTrue();
        }
    }

    @Test
    void aSaveOverItsBoundFailsAndLeavesNoFile() throws Exception {
        Path state = dir.resolve("state");
        try (QmpClient source = QmpClient.connect(qemu("source"))) {
            assertThatThrownBy(() -> QemuState.save(source, state, dir.resolve("save.sock"), 4096, TIMEOUT))
                    .isInstanceOf(BangerException.class);
            assertThat(state).doesNotExist();
        }
    }

    @Test
    void aFileThatIsNotQemuStateIsRefusedByTheTarget() throws Exception {
        Path state = Files.write(dir.resolve("garbage"), "not a migration stream".repeat(100).getBytes());
        Path incoming = dir.resolve("in.sock");
        try (QmpClient target = QmpClient.connect(qemu("target", "-incoming", "unix:" + incoming))) {
            assertThatThrownBy(() -> QemuState.load(target, incoming, state, TIMEOUT))
                    .isInstanceOf(BangerException.class).hasMessageContaining("the VM's state from");
        }
    }
    @Test
    void aHeaderBeforeTheStreamIsKeptAndSkipped() throws Exception {
        Path state = dir.resolve("state");
        byte[] header = "another VMM's record of the machine\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (QmpClient source = QmpClient.connect(qemu("source"))) {
            QemuState.Saved saved = QemuState.save(source, state, header, dir.resolve("save.sock"), 1L << 30, TIMEOUT);
            assertThat(saved.bytes()).isEqualTo(Files.size(state));
        }
        assertThat(java.util.Arrays.copyOf(Files.readAllBytes(state), header.length)).isEqualTo(header);
        Path incoming = dir.resolve("in.sock");
        try (QmpClient target = QmpClient.connect(qemu("target", "-incoming", "unix:" + incoming))) {
            QemuState.load(target, incoming, state, header.length, TIMEOUT);
            QemuState.resume(target, TIMEOUT);
            assertThat(target.status().running()).isTrue();
        }
    }
}
