package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stub as a process with a (fake) QEMU guest: however the stub ends, its QEMU ends too. SIGTERM
 * runs the shutdown hook; SIGKILL runs nothing, and PDEATHSIG is what kills QEMU then.
 */
class QemuProcessTest {
    @TempDir
    Path dir;

    @Test
    void sigtermEndsQemuAndRemovesTheSockets() throws Exception {
        FakeQemu qemu = new FakeQemu(dir.resolve("bin"));
        Path sock = dir.resolve("vm/api.sock");
        Process p = startStub(qemu, sock);
        try {
            Path qmpDir = bootGuest(qemu, sock);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(143);
            assertThat(qemu.alive()).isFalse();
            assertThat(sock).doesNotExist();
            assertThat(qmpDir).doesNotExist();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void sigkillEndsQemuThroughPdeathsig() throws Exception {
        FakeQemu qemu = new FakeQemu(dir.resolve("bin"));
        Path sock = dir.resolve("vm/api.sock");
        Process p = startStub(qemu, sock);
        Path qmpDir = null;
        try {
            qmpDir = bootGuest(qemu, sock);
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (qemu.alive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(qemu.alive()).as("QEMU outlived a SIGKILLed stub").isFalse();
        } finally {
            p.destroyForcibly();
            if (qmpDir != null) {
                ScratchDirs.deleteTree(qmpDir); // what the next stub would clear up
            }
        }
    }

    private Process startStub(FakeQemu qemu, Path sock) throws Exception {
        Files.createDirectories(sock.getParent());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dev.banger.fcstub.Main", "--api-sock", sock.toString(), "--id", "vm1")
                .directory(sock.getParent().toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(sock.resolveSibling("console.log").toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(sock.resolveSibling("vmm.log").toFile()));
        pb.environment().remove(Main.GUEST_ENV);
        // the fake is found as qemu-system-x86_64 on PATH, as the real one is
        pb.environment().put("PATH", qemu.dir + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(sock) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(sock).as("API socket; stub stderr: %s", Files.readString(sock.resolveSibling("vmm.log"))).exists();
        return p;
    }

    /** Configures and starts the guest; returns the directory of its QMP socket. */
    private Path bootGuest(FakeQemu qemu, Path sock) throws Exception {
        Path img = Files.createDirectories(dir.resolve("img"));
        Path kernel = Fixtures.vmlinux(img);
        Fixtures.bzImage(img, "vmlinuz");
        try (ApiClient api = new ApiClient(sock)) {
            StubHarness.expect204(api.put("/boot-source", json("{'kernel_image_path':'" + kernel + "'}")));
            StubHarness.expect204(api.put("/drives/root", StubHarness.drive("root", Fixtures.file(dir, "root.img"), true, false)));
            StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
        }
        assertThat(qemu.alive()).isTrue();
        return Path.of(qemu.after("-qmp").substring("unix:".length()).split(",server=")[0]).getParent();
    }
}
