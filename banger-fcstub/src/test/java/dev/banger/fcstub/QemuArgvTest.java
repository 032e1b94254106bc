package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.NullNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QemuArgvTest {
    static final Path QMP = Path.of("/run/banger-fcstub/1-abcd0123/qmp.sock");
    static final Path BZ = Path.of("/img/vmlinuz");

    static VmConfig config() {
        VmConfig c = new VmConfig();
        c.machine = new VmConfig.Machine(2, 512, false, false, "None", Optional.empty());
        c.boot = Optional.of(new VmConfig.Boot(Path.of("/img/vmlinux"), Optional.of(Path.of("/img/initrd.img")),
                Optional.of("console=ttyS0 panic=1"), NullNode.getInstance()));
        // PUT order: config, root, work; the root drive must still come first
        c.drives.put("config", drive("config", "/vm/config.img", false, true));
        c.drives.put("root", drive("root", "/vm/root.img", true, false));
        c.drives.put("work", drive("work", "/vm/work,1.img", false, false));
        c.nics.put("eth0", new VmConfig.Nic("eth0", "tap-abc", Optional.of("06:00:ac:1d:00:05"), NullNode.getInstance()));
        return c;
    }

    static VmConfig.Drive drive(String id, String path, boolean root, boolean ro) {
        return new VmConfig.Drive(id, Path.of(path), root, ro, Optional.empty(), NullNode.getInstance());
    }

    static List<String> argv(VmConfig c, OptionalLong tsc, QemuArgv.Serial serial) {
        return QemuArgv.argv(c, new QemuArgv.Launch("vm1", BZ, serial, QMP, tsc, Optional.empty()));
    }

    static String after(List<String> argv, String option, int nth) {
        int seen = 0;
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals(option) && seen++ == nth) {
                return argv.get(i + 1);
            }
        }
        throw new AssertionError(option + " #" + nth + " not in " + argv);
    }

    @Test
    void machineMemoryAndVcpus() {
        List<String> a = argv(config(), OptionalLong.empty(), new QemuArgv.ToStdout());
        assertThat(a.getFirst()).isEqualTo("qemu-system-x86_64");
        assertThat(after(a, "-M", 0)).isEqualTo("microvm,acpi=on");
        assertThat(after(a, "-accel", 0)).startsWith("tcg");
        assertThat(after(a, "-m", 0)).isEqualTo("512M");
        assertThat(after(a, "-smp", 0)).isEqualTo("2");
        assertThat(a).contains("-nodefaults", "-no-user-config", "-nographic", "-no-reboot");
        assertThat(after(a, "-kernel", 0)).isEqualTo("/img/vmlinuz");
        assertThat(after(a, "-initrd", 0)).isEqualTo("/img/initrd.img");
        assertThat(after(a, "-qmp", 0)).isEqualTo("unix:" + QMP + ",server=on,wait=off");
    }

    @Test
    void rootDriveFirstThenPutOrderWithReadOnly() {
        List<String> a = argv(config(), OptionalLong.empty(), new QemuArgv.ToStdout());
        assertThat(after(a, "-drive", 0)).isEqualTo("id=d0,file=/vm/root.img,format=raw,if=none");
        assertThat(after(a, "-drive", 1)).isEqualTo("id=d1,file=/vm/config.img,format=raw,if=none,readonly=on");
        // a comma in a path is doubled, or QEMU would read an option there
        assertThat(after(a, "-drive", 2)).isEqualTo("id=d2,file=/vm/work,,1.img,format=raw,if=none");
        assertThat(after(a, "-device", 0)).isEqualTo("virtio-blk-device,drive=d0");
        assertThat(after(a, "-device", 2)).isEqualTo("virtio-blk-device,drive=d2");
        // each -device follows its -drive
        assertThat(a.indexOf("virtio-blk-device,drive=d1")).isGreaterThan(a.indexOf("id=d1,file=/vm/config.img,format=raw,if=none,readonly=on"));
    }

    @Test
    void theAgentPortStandsInForVsockOnlyWhenThereIsOne() {
        List<String> none = argv(config(), OptionalLong.empty(), new QemuArgv.ToStdout());
        assertThat(none).noneMatch(w -> w.contains("virtio-serial") || w.contains("virtserialport"));

        List<String> a = QemuArgv.argv(config(), new QemuArgv.Launch("vm1", BZ, new QemuArgv.ToStdout(), QMP, OptionalLong.empty(),
                Optional.of(Path.of("/run/banger-fcstub/1-ab,c/agent.sock"))));
        assertThat(a).containsSubsequence("-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=/run/banger-fcstub/1-ab,,c/agent.sock,server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=dev.banger.agent0");
    }

    @Test
    void tapAndMac() {
        List<String> a = argv(config(), OptionalLong.empty(), new QemuArgv.ToStdout());
        assertThat(after(a, "-netdev", 0)).isEqualTo("tap,id=n0,ifname=tap-abc,script=no,downscript=no");
        assertThat(after(a, "-device", 3)).isEqualTo("virtio-net-device,netdev=n0,mac=06:00:ac:1d:00:05");

        VmConfig noMac = config();
        noMac.nics.put("eth0", new VmConfig.Nic("eth0", "tap-abc", Optional.empty(), NullNode.getInstance()));
        assertThat(after(argv(noMac, OptionalLong.empty(), new QemuArgv.ToStdout()), "-device", 3)).isEqualTo("virtio-net-device,netdev=n0");

        VmConfig none = config();
        none.nics.clear();
        assertThat(argv(none, OptionalLong.empty(), new QemuArgv.ToStdout())).doesNotContain("-netdev");
    }

    @Test
    void tscArgumentsOnlyWhenTheRateIsKnown() {
        String with = after(argv(config(), OptionalLong.of(2_100_000), new QemuArgv.ToStdout()), "-append", 0);
        assertThat(with).startsWith("console=ttyS0 panic=1 ").endsWith(" tsc_early_khz=2100000 tsc=reliable");
        String without = after(argv(config(), OptionalLong.empty(), new QemuArgv.ToStdout()), "-append", 0);
        assertThat(without).doesNotContain("tsc");
        // boot_args that already carry a rate keep theirs
        VmConfig own = config();
        own.boot = Optional.of(new VmConfig.Boot(Path.of("/img/vmlinux"), Optional.empty(),
                Optional.of("console=ttyS0 tsc_early_khz=1000000"), NullNode.getInstance()));
        assertThat(QemuArgv.kernelCommandLine(own, OptionalLong.of(2_100_000))).containsOnlyOnce("tsc_early_khz=");
    }

    @Test
    void kernelCommandLineAddsWhatFirecrackerAdds() {
        assertThat(QemuArgv.kernelCommandLine(config(), OptionalLong.empty())).isEqualTo("console=ttyS0 panic=1 root=/dev/vda rw reboot=t");
        VmConfig c = config();
        c.drives.put("root", new VmConfig.Drive("root", Path.of("/vm/root.img"), true, true, Optional.of("1234-5678"), NullNode.getInstance()));
        assertThat(QemuArgv.kernelCommandLine(c, OptionalLong.empty())).contains("root=PARTUUID=1234-5678 ro");
        VmConfig noArgs = config();
        noArgs.boot = Optional.of(new VmConfig.Boot(Path.of("/img/vmlinux"), Optional.empty(), Optional.empty(), NullNode.getInstance()));
        noArgs.drives.clear();
        assertThat(QemuArgv.kernelCommandLine(noArgs, OptionalLong.empty())).isEqualTo(QemuArgv.FIRECRACKER_DEFAULT_BOOT_ARGS + " reboot=t");
        assertThat(argv(noArgs, OptionalLong.empty(), new QemuArgv.ToStdout())).doesNotContain("-initrd");
    }

    @Test
    void serialConsole() {
        List<String> file = argv(config(), OptionalLong.empty(), new QemuArgv.ToFile(Path.of("/vm/console.log")));
        assertThat(after(file, "-chardev", 0)).isEqualTo("file,id=con,path=/vm/console.log,append=on");
        assertThat(after(file, "-serial", 0)).isEqualTo("chardev:con");
        List<String> stdout = argv(config(), OptionalLong.empty(), new QemuArgv.ToStdout());
        assertThat(after(stdout, "-chardev", 0)).isEqualTo("stdio,id=con,signal=off");
    }
}
