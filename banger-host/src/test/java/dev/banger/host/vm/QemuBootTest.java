package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.core.vm.QemuCommand;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.GracefulStop;
import dev.banger.host.proc.ProcessTable;
import dev.banger.core.vm.QemuPlan;
import dev.banger.core.vm.QmpMessages;
import dev.banger.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots a real image under QEMU (TCG on hosts without usable KVM) from a copy-on-write overlay, with a
 * config drive and a work disk but no network, and stops it by the power button. Skipped when QEMU or
 * the image is missing. The image defaults to /tmp/bhimg/images/t1 (-Dbanger.test.image=DIR to change);
 * it is only read: QEMU opens an overlay's backing file read-only.
 */
@Tag("privileged")
@Tag("qemu")
@Timeout(300)
class QemuBootTest {
    private static final Path IMAGE = Path.of(System.getProperty("banger.test.image", "/tmp/bhimg/images/t1"));

    @TempDir
    Path dir;

    @Test
    void bootsToReadyAnswersQmpIsFoundAgainAndPowersOff() throws Exception {
        assumeTrue(DetachedProcess.findOnPath(QemuCommand.BINARY).isPresent(), "qemu-system-x86_64 is not installed");
        assumeTrue(DetachedProcess.findOnPath("qemu-img").isPresent(), "qemu-img is not installed");
        for (String f : List.of("vmlinuz", "initrd.img", "rootfs.ext4")) {
            assumeTrue(Files.isRegularFile(IMAGE.resolve(f)), IMAGE.resolve(f) + " is missing");
        }
        Path overlay = dir.resolve("root.qcow2");
        check(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", IMAGE.resolve("rootfs.ext4").toString(), "-F", "raw",
                overlay.toString()));
        Optional<Path> config = configDrive();
        Optional<Path> work = config.isPresent() ? workDisk() : Optional.empty();

        Accelerator.Choice accel = KvmProbe.choose(Accelerator.Mode.AUTO);
        QemuPlan plan = QemuPlan.builder().name("boot-test").accel(accel.accel())
                .tcgTbSizeMib(Integer.getInteger("banger.test.tbSizeMib", QemuPlan.DEFAULT_TCG_TB_SIZE_MIB))
                .memoryMib(512).vcpus(1)
                .kernel(IMAGE.resolve("vmlinuz")).initrd(IMAGE.resolve("initrd.img"))
                .kernelArgs(KernelArgs.defaults().forAccelerator(accel.accel(), KvmProbe.hostTscKhz()))
                .consoleLog(dir.resolve("console.log")).qmpSocket(dir.resolve("api.sock"))
                .rootOverlay(overlay).configDrive(config.orElse(null)).workDisk(work.orElse(null))
                .build();
        List<String> argv = QemuCommand.argv(plan);
        System.out.println("accelerator: " + accel + "\nargv: " + String.join(" ", argv));

        long consoleStart = ConsoleLog.size(plan.consoleLog());
        long t0 = System.nanoTime();
        DetachedProcess.Launched qemu = QemuProcess.launch(argv, dir.resolve("qemu.log"));
        try {
            qemu.awaitSocket(plan.qmpSocket(), Duration.ofSeconds(20));
            ConsoleLog.awaitMarker(plan.consoleLog(), consoleStart, ConsoleLog.READY_MARKER, Duration.ofSeconds(180), qemu::isAlive);
            double bootSeconds = (System.nanoTime() - t0) / 1e9;

            try (QmpClient qmp = QmpClient.connect(plan.qmpSocket())) {
                assertThat(qmp.status()).isEqualTo(new QmpMessages.Status("running", true));
            }
            assertThat(QemuProcess.findByQmpSocket(plan.qmpSocket())).hasValue(qemu.pid());
            long rssAtReady = ProcessTable.rssKib(qemu.pid()).orElseThrow();

            String console = Files.readString(plan.consoleLog());
            // The drive order the guest sees is the plan's: root vda, config vdb, work vdc.
            long rootBlocks = Files.size(IMAGE.resolve("rootfs.ext4")) / 512;
            assertThat(console).contains("[vda] " + rootBlocks + " 512-byte logical blocks").contains("EXT4-fs (vda): mounted");
            if (config.isPresent()) {
                assertThat(console).contains("[vdb] 16384 512-byte logical blocks").contains("banger: config drive /dev/vdb")
                        .contains("banger: hostname boot-test").contains("ssh host key ed25519 installed")
                        .contains("[vdc] 131072 512-byte logical blocks").contains("EXT4-fs (vdc): mounted");
            }

            GracefulStop.Stopped stopped = QemuProcess.stop(qemu.pid(), plan.qmpSocket(), Duration.ofSeconds(30));
            System.out.printf("boot to '%s': %.1f s; QEMU RSS at ready: %d MiB (tb-size %d MiB); stop: %s in %.1f s (%s)%n",
                    ConsoleLog.READY_MARKER, bootSeconds, rssAtReady / 1024, plan.tcgTbSizeMib(), stopped.ending(),
                    stopped.took().toMillis() / 1e3, stopped.detail());
            assertThat(stopped.ending()).isEqualTo(GracefulStop.Ending.POWERED_DOWN);
            assertThat(stopped.took()).isLessThan(Duration.ofSeconds(30));
            assertThat(qemu.awaitExit(Duration.ofSeconds(5))).hasValue(0);
            assertThat(QemuProcess.findByQmpSocket(plan.qmpSocket())).isEmpty();
            // QEMU said nothing at all: no warning about any option of the argv.
            assertThat(Files.readString(dir.resolve("qemu.log")).lines().skip(1)).isEmpty();
        } finally {
            if (qemu.isAlive()) {
                ProcessTable.kill(qemu.pid());
            }
            assertThat(processesMentioning(dir)).as("QEMU processes left behind").isEmpty();
        }
    }

    /**
     * What the VM lifecycle will put on the config drive (images/README.md): an ext4 labelled CIDATA with
     * banger.env and the VM's ssh host key, so the guest need not run ssh-keygen. Empty without the tools.
     */
    private Optional<Path> configDrive() throws IOException {
        if (DetachedProcess.findOnPath("mkfs.ext4").isEmpty() || DetachedProcess.findOnPath("ssh-keygen").isEmpty()) {
            return Optional.empty();
        }
        Path content = Files.createDirectory(dir.resolve("cidata"));
        Files.writeString(content.resolve("banger.env"), "BANGER_HOSTNAME=boot-test\n");
        check(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "boot-test", "-f", content.resolve("ssh_host_ed25519_key").toString()));
        Path img = dir.resolve("config.img");
        check(List.of("truncate", "-s", "8M", img.toString()));
        check(List.of("mkfs.ext4", "-q", "-F", "-L", "CIDATA", "-d", content.toString(), img.toString()));
        return Optional.of(img);
    }

    private Optional<Path> workDisk() {
        Path img = dir.resolve("work.img");
        check(List.of("truncate", "-s", "64M", img.toString()));
        check(List.of("mkfs.ext4", "-q", "-F", "-L", "banger-work", img.toString()));
        return Optional.of(img);
    }

    private static void check(List<String> argv) {
        HostCommand.Output out = HostCommand.run(argv, Duration.ofSeconds(60));
        assertThat(out.ok()).as(argv + ": " + out.text()).isTrue();
    }

    private static List<Long> processesMentioning(Path dir) {
        return ProcessHandle.allProcesses()
                .filter(p -> ProcessTable.cmdline(p.pid()).map(a -> String.join(" ", a).contains(dir.toString())).orElse(false))
                .map(ProcessHandle::pid)
                .toList();
    }
}
