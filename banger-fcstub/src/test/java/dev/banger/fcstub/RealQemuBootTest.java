package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in: a real boot of a banger image under QEMU (TCG) through the stub process, to a ready guest
 * and back down through SendCtrlAltDel. Costs ~20 s of two cores and half a GiB, so it runs only when
 * BANGER_FCSTUB_IMAGE names an image directory (vmlinux, vmlinuz, initrd.img, rootfs.ext4), e.g.
 * {@code BANGER_FCSTUB_IMAGE=banger-it/target/it-image mvn -pl banger-fcstub test -Dtest=RealQemuBootTest}.
 */
@Tag("privileged")
class RealQemuBootTest {
    static final String IMAGE_ENV = "BANGER_FCSTUB_IMAGE";

    @TempDir
    Path dir;

    @Test
    void bootsABangerImageAndPowersItOff() throws Exception {
        String image = System.getenv(IMAGE_ENV);
        assumeTrue(image != null && !image.isBlank(), "skipped: set " + IMAGE_ENV + " to a banger image directory to boot one under QEMU");
        Path img = Path.of(image).toAbsolutePath();
        for (String f : new String[] {"vmlinux", "vmlinuz", "initrd.img", "rootfs.ext4"}) {
            assertThat(img.resolve(f)).as(IMAGE_ENV + " must hold " + f).isRegularFile();
        }
        Path vm = Files.createDirectories(dir.resolve("vm"));
        Path root = vm.resolve("root.img");
        Process cp = new ProcessBuilder("cp", "--sparse=always", img.resolve("rootfs.ext4").toString(), root.toString()).inheritIO().start();
        assertThat(cp.waitFor()).isZero();
        Path sock = vm.resolve("api.sock");
        Path console = vm.resolve("console.log");
        Path vmmLog = vm.resolve("vmm.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.banger.fcstub.Main",
                "--api-sock", sock.toString(), "--id", "realboot")
                .directory(vm.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(vmmLog.toFile()));
        pb.environment().remove(Main.GUEST_ENV);
        Process p = pb.start();
        try {
            waitFor(() -> Files.exists(sock) || !p.isAlive(), Duration.ofSeconds(60));
            try (ApiClient api = new ApiClient(sock)) {
                StubHarness.expect204(api.put("/machine-config", json("{'vcpu_count':1,'mem_size_mib':512,'smt':false}")));
                StubHarness.expect204(api.put("/boot-source", json("{'kernel_image_path':'" + img.resolve("vmlinux")
                        + "','initrd_path':'" + img.resolve("initrd.img") + "','boot_args':'console=ttyS0 root=/dev/vda rw "
                        + "banger.init=/sbin/banger-init panic=1 reboot=k pci=off i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd'}")));
                StubHarness.expect204(api.put("/drives/root", StubHarness.drive("root", root, true, false)));
                StubHarness.expect204(api.put("/actions", json("{'action_type':'InstanceStart'}")));
                waitFor(() -> Files.readString(console).contains("banger-init: ready") || !p.isAlive(), Duration.ofSeconds(180));
                assertThat(Files.readString(console)).as("console; stub stderr: %s", Files.readString(vmmLog)).contains("banger-init: ready");
                // the power button is an event: one pressed before the guest's acpid listens is lost, so press again
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (p.isAlive() && System.nanoTime() < deadline) {
                    try {
                        api.put("/actions", json("{'action_type':'SendCtrlAltDel'}"));
                    } catch (RuntimeException e) {
                        // the stub went away between the check and the request
                    }
                    p.waitFor(3, TimeUnit.SECONDS);
                }
            }
            assertThat(p.isAlive()).as("the stub exits when the guest powers off").isFalse();
            assertThat(p.exitValue()).as("stub stderr: %s", Files.readString(vmmLog)).isZero();
            assertThat(sock).doesNotExist();
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(Check c, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!c.ok() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }
}
