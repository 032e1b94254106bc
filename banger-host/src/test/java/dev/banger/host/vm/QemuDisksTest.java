package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Freezing a real QEMU's qcow2 disk ({@link QemuDisks}): QEMU stopped ({@code -S}, no guest needed), its drive a
 * qcow2 overlay over a raw base; QEMU's own {@code qemu-io} writes through the drive before and after.
 */
@Tag("privileged")
class QemuDisksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private Process qemu;

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws InterruptedException {
        if (qemu != null) {
            qemu.destroyForcibly();
            qemu.waitFor(20, TimeUnit.SECONDS);
        }
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", argv), out).isZero();
        return out;
    }

    /** Whether the image at {@code file} (with its chain) reads {@code pattern} at 0..4k (qemu-io, shared with QEMU). */
    private static boolean reads(Path file, int pattern) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("qemu-io", "-r", "-U", "-c", "read -P " + pattern + " 0 4k", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return !out.contains("Pattern verification failed") && out.contains("read 4096/4096");
    }

    private QmpClient start(Path active) throws Exception {
        Path qmp = dir.resolve("qmp.sock");
        qemu = new ProcessBuilder(List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg", "-m", "32M", "-nodefaults",
                "-display", "none", "-S", "-qmp", "unix:" + qmp + ",server=on,wait=off",
                "-drive", "id=root,file=" + active + ",if=none,format=qcow2", "-device", "virtio-blk-device,drive=root"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(qmp)) {
            assertThat(qemu.isAlive()).as("QEMU exited: %s", Files.readString(dir.resolve("qemu.out"))).isTrue();
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
        return QmpClient.connect(qmp);
    }

    /** Writes {@code pattern} at 0..4k through the drive and flushes (qcow2 metadata may otherwise stay in QEMU's cache). */
    private static void write(QmpClient qmp, int pattern) {
        qmp.execute("human-monitor-command", Map.of("command-line", "qemu-io root \"write -P " + pattern + " 0 4k\""), TIMEOUT);
        qmp.execute("human-monitor-command", Map.of("command-line", "qemu-io root flush"), TIMEOUT);
    }

    @Test
    void theFrozenImageKeepsItsMomentAndTheVmWritesOnOnTopOfIt() throws Exception {
        Path base = dir.resolve("base.raw");
        run("qemu-img", "create", "-f", "raw", base.toString(), "1M");
        Path active = dir.resolve("root.qcow2");
        run("qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", base.toString(), active.toString());
        Path frozen = Files.createDirectories(dir.resolve("snap")).resolve("root.qcow2");
        try (QmpClient qmp = start(active)) {
            write(qmp, 0x11);
            QemuDisks.freeze(qmp, "root", active, frozen, TIMEOUT);
            write(qmp, 0x22);
        }
        assertThat(frozen).exists();
        assertThat(reads(frozen, 0x11)).as("the frozen image holds what was written before").isTrue();
        assertThat(reads(active, 0x22)).as("the VM's image holds what came after").isTrue();
        String info = run("qemu-img", "info", "-U", "--backing-chain", active.toString());
        assertThat(info).contains("backing file: " + frozen).contains("backing file: " + base);
        assertThat(dir.resolve("root.qcow2.next")).doesNotExist();
    }

    @Test
    void anExistingTargetIsRefusedBeforeQemuIsAsked() throws Exception {
        Path active = dir.resolve("root.qcow2");
        run("qemu-img", "create", "-f", "qcow2", active.toString(), "1M");
        Path frozen = Files.writeString(dir.resolve("taken.qcow2"), "someone else's");
        try (QmpClient qmp = start(active)) {
            assertThatThrownBy(() -> QemuDisks.freeze(qmp, "root", active, frozen, TIMEOUT))
                    .isInstanceOf(BangerException.class).hasMessageContaining("exists already");
        }
        assertThat(Files.readString(frozen)).isEqualTo("someone else's");
        assertThat(dir.resolve("root.qcow2.next")).doesNotExist();
        assertThat(run("qemu-img", "info", "-U", active.toString())).doesNotContain("backing file");
    }
}
