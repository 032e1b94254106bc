package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.ProcParsers;
import dev.banger.core.StatePaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QemuCommandTest {
    static final String ID = "0123456789ab";
    static final StatePaths PATHS = StatePaths.forHome(Path.of("/var/lib/bh"));
    static final Path IMAGE = Path.of("/var/lib/bh/images/debian-bookworm");

    /** A complete plan as the daemon will make it, from StatePaths. */
    static QemuPlan.Builder fullPlan() {
        return QemuPlan.builder().name("demo").accel("tcg").memoryMib(512).vcpus(2)
                .kernel(IMAGE.resolve("vmlinuz")).initrd(IMAGE.resolve("initrd.img"))
                .kernelArgs(KernelArgs.defaults().forAccelerator("tcg", OptionalLong.of(2_096_016)))
                .consoleLog(PATHS.consoleLog(ID)).qmpSocket(PATHS.apiSocket(ID))
                .rootOverlay(PATHS.systemOverlay(ID)).configDrive(PATHS.vmDir(ID).resolve("config.img"))
                .workDisk(PATHS.workDisk(ID)).nic(QemuPlan.Nic.forVm(ID)).agentSocket(PATHS.agentSocket(ID));
    }

    @Test
    void goldenTcg() {
        assertThat(QemuCommand.argv(fullPlan().build())).containsExactly(
                "qemu-system-x86_64",
                "-name", "banger-demo",
                "-M", "microvm,acpi=on",
                "-accel", "tcg,tb-size=64", "-cpu", "max",
                "-m", "512M", "-smp", "2",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-global", "virtio-mmio.force-legacy=false",
                "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                "-msg", "timestamp=on",
                "-kernel", "/var/lib/bh/images/debian-bookworm/vmlinuz",
                "-initrd", "/var/lib/bh/images/debian-bookworm/initrd.img",
                "-append", "console=ttyS0 root=/dev/vda rw banger.init=/sbin/banger-init panic=-1 reboot=t cryptomgr.notests tsc_early_khz=2096016 tsc=reliable",
                "-chardev", "file,id=console,path=/var/lib/bh/vms/0123456789ab/console.log,append=on",
                "-serial", "chardev:console",
                "-qmp", "unix:/var/lib/bh/vms/0123456789ab/api.sock,server=on,wait=off",
                "-drive", "id=root,file=/var/lib/bh/vms/0123456789ab/root.qcow2,if=none,format=qcow2,discard=unmap",
                "-device", "virtio-blk-device,drive=root",
                "-drive", "id=config,file=/var/lib/bh/vms/0123456789ab/config.img,if=none,format=raw,readonly=on",
                "-device", "virtio-blk-device,drive=config",
                "-drive", "id=work,file=/var/lib/bh/vms/0123456789ab/work.img,if=none,format=raw,discard=unmap",
                "-device", "virtio-blk-device,drive=work",
                "-netdev", "tap,id=n0,ifname=bgr0123456789ab,script=no,downscript=no",
                "-device", "virtio-net-device,netdev=n0,mac=02:23:45:67:89:ab",
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=/var/lib/bh/vms/0123456789ab/agent.sock,server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=dev.banger.agent0");
    }

    @Test
    void goldenKvmMinimal() {
        QemuPlan plan = QemuPlan.builder().name("k").accel("kvm").memoryMib(128).vcpus(1)
                .kernel(Path.of("/i/vmlinuz"))
                .kernelArgs(KernelArgs.defaults().withBoot(KernelArgs.BootStyle.SYSTEMD).withVerbosity(KernelArgs.Verbosity.QUIET))
                .consoleLog(Path.of("/v/console.log")).qmpSocket(Path.of("/v/api.sock")).rootOverlay(Path.of("/v/root.qcow2"))
                .build();
        assertThat(QemuCommand.argv(plan)).containsExactly(
                "qemu-system-x86_64", "-name", "banger-k", "-M", "microvm,acpi=on",
                "-accel", "kvm", "-cpu", "host",
                "-m", "128M", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-global", "virtio-mmio.force-legacy=false",
                "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                "-msg", "timestamp=on",
                "-kernel", "/i/vmlinuz",
                "-append", "console=ttyS0 root=/dev/vda rw banger.init=/lib/systemd/systemd panic=-1 reboot=t cryptomgr.notests quiet",
                "-chardev", "file,id=console,path=/v/console.log,append=on", "-serial", "chardev:console",
                "-qmp", "unix:/v/api.sock,server=on,wait=off",
                "-drive", "id=root,file=/v/root.qcow2,if=none,format=qcow2,discard=unmap",
                "-device", "virtio-blk-device,drive=root");
    }

    @Test
    void kvmNeverGetsTheTcgClockHintOrCache() {
        List<String> argv = QemuCommand.argv(fullPlan().accel("kvm").tcgTbSizeMib(32).build());
        assertThat(String.join(" ", argv)).doesNotContain("tsc").doesNotContain("tb-size").contains("-accel kvm -cpu host");
    }

    @Test
    void tcgCacheSizeIsThePlans() {
        assertThat(QemuCommand.argv(fullPlan().tcgTbSizeMib(32).build())).contains("tcg,tb-size=32");
    }

    @Test
    void noNicMeansNoNetworkOptions() {
        List<String> argv = QemuCommand.argv(fullPlan().build().withoutNic());
        assertThat(argv).doesNotContain("-netdev").noneMatch(a -> a.startsWith("virtio-net"));
    }

    @Test
    void aVsockCidAddsTheVhostVsockDeviceLastAndNothingElse() {
        List<String> without = QemuCommand.argv(fullPlan().build());
        List<String> with = QemuCommand.argv(fullPlan().vsockCid(7).build());
        assertThat(with).startsWith(without.toArray(String[]::new)).endsWith("-device", "vhost-vsock-device,guest-cid=7");
        assertThat(with).hasSize(without.size() + 2);
        assertThat(String.join(" ", without)).doesNotContain("vsock");
    }

    @Test
    void aRestoreIsTheSameMachineWaitingForItsStateOnASocket() {
        QemuPlan plan = fullPlan().build();
        List<String> boot = QemuCommand.argv(plan);
        List<String> restore = QemuCommand.argv(plan.withIncoming(Path.of("/var/lib/banger/vms/0123456789ab/incoming.sock")));
        assertThat(restore).startsWith(boot.toArray(String[]::new))
                .endsWith("-incoming", "unix:/var/lib/banger/vms/0123456789ab/incoming.sock").hasSize(boot.size() + 2);
        assertThat(boot).doesNotContain("-incoming");
        assertThatThrownBy(() -> plan.withIncoming(plan.qmpSocket())).isInstanceOf(BangerException.class)
                .hasMessageContaining("two different roles");
    }

    @Test
    void drivesComeInTheirFixedOrder() {
        List<String> argv = QemuCommand.argv(fullPlan().build());
        List<String> devices = argv.stream().filter(a -> a.startsWith("virtio-blk-device")).toList();
        assertThat(devices).containsExactly("virtio-blk-device,drive=root", "virtio-blk-device,drive=config", "virtio-blk-device,drive=work");
        List<String> withoutWork = QemuCommand.argv(fullPlan().workDisk(null).build()).stream()
                .filter(a -> a.startsWith("virtio-blk-device")).toList();
        assertThat(withoutWork).containsExactly("virtio-blk-device,drive=root", "virtio-blk-device,drive=config");
    }

    @Test
    void argvHasNoEmptyOrControlCharacterArguments() {
        assertThat(QemuCommand.argv(fullPlan().build()))
                .allMatch(a -> !a.isEmpty() && a.chars().noneMatch(c -> c < 0x20));
    }

    @Test
    void theQmpSocketAppearsVerbatimAndIsFoundAgain() {
        QemuPlan plan = fullPlan().build();
        List<String> argv = QemuCommand.argv(plan);
        assertThat(argv).anyMatch(a -> a.contains(plan.qmpSocket().toString()));
        assertThat(QemuCommand.isQemuWithQmpSocket(argv, plan.qmpSocket())).isTrue();
        // As a process scan sees it: /proc/PID/cmdline, NUL-terminated arguments, maybe a full path.
        List<String> fromProc = ProcParsers.cmdline(cmdline(argv));
        assertThat(fromProc).isEqualTo(argv);
    }

    @Test
    void qmpMatchIsExactNotAPrefixAndOnlyForQemu() {
        Path sock = Path.of("/v/a/api.sock");
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("/usr/bin/qemu-system-x86_64", "-qmp", "unix:/v/a/api.sock"), sock)).isTrue();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("qemu-system-aarch64", "-qmp", "unix:/v/a/api.sock,server=on"), sock)).isTrue();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("qemu-system-x86_64", "-qmp", "unix:/v/a/api.sock2,server=on"), sock)).isFalse();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("qemu-system-x86_64", "-qmp", "unix:/v/a/api.soc"), sock)).isFalse();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("qemu-system-x86_64", "-serial", "unix:/v/a/api.sock"), sock)).isFalse();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("qemu-system-x86_64", "-qmp"), sock)).isFalse();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("vim", "-qmp", "unix:/v/a/api.sock"), sock)).isFalse();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("/tmp/qemu-system-x86_64.sh/bash", "-qmp", "unix:/v/a/api.sock"), sock)).isFalse();
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of(), sock)).isFalse();
        // The setsid wrapper execs QEMU in place; a setsid still waiting to exec is not QEMU.
        assertThat(QemuCommand.isQemuWithQmpSocket(List.of("setsid", "qemu-system-x86_64", "-qmp", "unix:/v/a/api.sock"), sock)).isFalse();
    }

    @Test
    void cmdlineParsing() {
        assertThat(ProcParsers.cmdline("a\0b c\0\0d\0".getBytes(StandardCharsets.UTF_8))).containsExactly("a", "b c", "", "d");
        assertThat(ProcParsers.cmdline("no-nul".getBytes(StandardCharsets.UTF_8))).containsExactly("no-nul");
        assertThat(ProcParsers.cmdline(new byte[0])).isEmpty();
    }

    @Test
    void procStatAndStatus() {
        assertThat(ProcParsers.processState("1234 (qemu-system-x86) S 1 1234 1234 0 -1")).isEqualTo('S');
        assertThat(ProcParsers.processState("1234 (a) b) Z 1 2")).isEqualTo('Z');
        assertThatThrownBy(() -> ProcParsers.processState("garbage")).isInstanceOf(IllegalArgumentException.class);
        assertThat(ProcParsers.vmRssKib("Name:\tqemu\nVmPeak:\t 1 kB\nVmRSS:\t  271424 kB\n")).isEqualTo(271_424);
        assertThat(ProcParsers.vmRssKib("Name:\tkthreadd\n")).isEqualTo(-1);
    }

    private static byte[] cmdline(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        argv.forEach(a -> sb.append(a).append('\0'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sharesGetAMemfdBackendAndAVhostUserFsDeviceEachAfterTheFixedDevices() {
        QemuPlan plan = fullPlan().build().withShares(java.util.List.of(
                new dev.banger.core.mount.Share("banger0", java.nio.file.Path.of("/run/banger/mounts/0123456789ab/0/fs.sock")),
                new dev.banger.core.mount.Share("banger1", java.nio.file.Path.of("/run/banger/mounts/0123456789ab/1/fs.sock"))));
        java.util.List<String> argv = QemuCommand.argv(plan);
        assertThat(argv).containsSequence("-M", "microvm,acpi=on,memory-backend=mem");
        assertThat(argv).containsSequence("-object", "memory-backend-memfd,id=mem,size=" + plan.memoryMib() + "M,share=on");
        assertThat(argv).containsSequence("-chardev", "socket,id=fs0,path=/run/banger/mounts/0123456789ab/0/fs.sock",
                "-device", "vhost-user-fs-device,chardev=fs0,tag=banger0");
        assertThat(argv.indexOf("vhost-user-fs-device,chardev=fs1,tag=banger1")).isGreaterThan(argv.lastIndexOf("virtio-blk-device,drive=work"));
        assertThat(QemuCommand.argv(fullPlan().build())).as("a VM without shares keeps plain memory (its snapshots need it)")
                .contains("microvm,acpi=on").doesNotContain("-object");
    }
}
