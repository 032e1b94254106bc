package dev.banger.fcstub;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The qemu-system-x86_64 command line that plays the guest of a configured microVM. Pure. The form
 * follows banger's own QEMU driver (dev.banger.core.vm.QemuCommand), which is known to boot banger's
 * images here:
 *
 * <pre>
 *   -name fcstub-ID -M microvm,acpi=on      ACPI describes the virtio-mmio devices, as Firecracker >= 1.8 does
 *   -accel tcg,tb-size=64 -cpu max          TCG (no usable KVM here), capped translation cache, RDRAND for the CRNG
 *   -m MEMM -smp VCPUS                      machine-config
 *   -nodefaults -no-user-config -nographic -no-reboot
 *                                           a guest reset ends QEMU, as it ends Firecracker
 *   -global virtio-mmio.force-legacy=false  modern virtio-mmio, as Firecracker offers
 *   -kernel BZIMAGE [-initrd INITRD] -append CMDLINE
 *   -chardev file,id=con,path=STDOUT,append=on -serial chardev:con    the guest serial goes where the stub's
 *   -chardev stdio,id=con,signal=off -serial chardev:con              stdout goes, as Firecracker's does
 *   -qmp unix:QMP,server=on,wait=off
 *   -drive id=dN,file=PATH,format=raw,if=none[,readonly=on] -device virtio-blk-device,drive=dN
 *                                           root drive first (vda), then the others in PUT order
 *   -netdev tap,id=nN,ifname=TAP,script=no,downscript=no -device virtio-net-device,netdev=nN[,mac=MAC]
 *   -device virtio-serial-device -chardev socket,id=agent,path=SOCK,server=on,wait=off
 *   -device virtserialport,chardev=agent,name=dev.banger.agent0
 *                                           with a vsock device: the emulated guest has no vsock, so the
 *                                           port banger's agent serves stands in for its vsock port
 *   -incoming unix:SOCK                     a snapshot's restore: the same machine, waiting for its saved state
 * </pre>
 *
 * QEMU splits option values at commas; a comma inside a path is written twice.
 */
final class QemuArgv {
    static final String BINARY = "qemu-system-x86_64";
    static final int TCG_TB_SIZE_MIB = 64;
    /** Firecracker's boot arguments when boot-source gives none (src/vmm/src/vmm_config/boot_source.rs). */
    static final String FIRECRACKER_DEFAULT_BOOT_ARGS =
            "reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce";

    /** Where the guest's serial console goes. */
    sealed interface Serial permits ToFile, ToStdout {
    }

    /** Appended to a regular file: the one the stub's stdout is. */
    record ToFile(Path path) implements Serial {
    }

    /** QEMU's own stdout, inherited from the stub (stdout is a pipe or a terminal). */
    record ToStdout() implements Serial {
    }

    /** The virtio-serial port banger's guest agent looks for (dev.banger.core.vm.QemuPlan.AGENT_PORT). */
    static final String AGENT_PORT = "dev.banger.agent0";

    /**
     * What the launch adds to the configuration: the bzImage QEMU boots, the console, the QMP socket,
     * the Unix socket of the agent's virtio-serial port (when the VM has a vsock device), and, for a
     * snapshot's restore, the socket QEMU waits on for the saved state ({@code -incoming}).
     */
    record Launch(String instanceId, Path bzImage, Serial serial, Path qmpSocket, OptionalLong tscKhz, Optional<Path> agentSerial,
                  Optional<Path> incoming) {
        Launch(String instanceId, Path bzImage, Serial serial, Path qmpSocket, OptionalLong tscKhz, Optional<Path> agentSerial) {
            this(instanceId, bzImage, serial, qmpSocket, tscKhz, agentSerial, Optional.empty());
        }
    }

    private QemuArgv() {
    }

    static List<String> argv(VmConfig config, Launch launch) {
        VmConfig.Boot boot = config.boot.orElseThrow(() -> new IllegalStateException("no boot source"));
        List<String> a = new ArrayList<>();
        a.add(BINARY);
        add(a, "-name", "fcstub-" + launch.instanceId());
        add(a, "-M", "microvm,acpi=on");
        add(a, "-accel", "tcg,tb-size=" + TCG_TB_SIZE_MIB, "-cpu", "max");
        add(a, "-m", config.machine.memMib() + "M", "-smp", Integer.toString(config.machine.vcpus()));
        add(a, "-nodefaults", "-no-user-config", "-nographic", "-no-reboot");
        add(a, "-global", "virtio-mmio.force-legacy=false");
        add(a, "-kernel", launch.bzImage().toString());
        boot.initrd().ifPresent(i -> add(a, "-initrd", i.toString()));
        add(a, "-append", kernelCommandLine(config, launch.tscKhz()));
        switch (launch.serial()) {
            case ToFile f -> add(a, "-chardev", "file,id=con,path=" + escape(f.path().toString()) + ",append=on");
            case ToStdout _ -> add(a, "-chardev", "stdio,id=con,signal=off");
        }
        add(a, "-serial", "chardev:con");
        add(a, "-qmp", "unix:" + escape(launch.qmpSocket().toString()) + ",server=on,wait=off");
        int n = 0;
        for (VmConfig.Drive d : config.drivesRootFirst()) {
            String id = "d" + n++;
            add(a, "-drive", "id=" + id + ",file=" + escape(d.path().toString()) + ",format=raw,if=none"
                    + (d.readOnly() ? ",readonly=on" : ""));
            add(a, "-device", "virtio-blk-device,drive=" + id);
        }
        n = 0;
        for (VmConfig.Nic nic : config.nics.values()) {
            String id = "n" + n++;
            add(a, "-netdev", "tap,id=" + id + ",ifname=" + nic.hostDevName() + ",script=no,downscript=no");
            add(a, "-device", "virtio-net-device,netdev=" + id + nic.guestMac().map(m -> ",mac=" + m).orElse(""));
        }
        launch.agentSerial().ifPresent(sock -> {
            add(a, "-device", "virtio-serial-device");
            add(a, "-chardev", "socket,id=agent,path=" + escape(sock.toString()) + ",server=on,wait=off");
            add(a, "-device", "virtserialport,chardev=agent,name=" + AGENT_PORT);
        });
        launch.incoming().ifPresent(sock -> add(a, "-incoming", "unix:" + escape(sock.toString())));
        return List.copyOf(a);
    }

    /**
     * The guest's kernel command line: boot_args (Firecracker's default when absent), then what Firecracker
     * itself appends for the root drive ({@code root=/dev/vda} or {@code root=PARTUUID=...}, then
     * {@code rw}/{@code ro}), then what only the emulation needs:
     * <ul>
     *   <li>{@code reboot=t}: Firecracker exits on any guest reset; QEMU's {@code -no-reboot} is only sure
     *       to catch a triple fault (banger's images/README.md saw other methods restart the guest);</li>
     *   <li>{@code tsc_early_khz=N tsc=reliable} when the host's TSC rate is known: under TCG the guest
     *       cannot calibrate its TSC on a slow host and hangs (see dev.banger.core.vm.KernelArgs).</li>
     * </ul>
     */
    static String kernelCommandLine(VmConfig config, OptionalLong tscKhz) {
        String base = config.boot.flatMap(VmConfig.Boot::bootArgs).orElse(FIRECRACKER_DEFAULT_BOOT_ARGS).strip();
        List<String> w = new ArrayList<>();
        if (!base.isEmpty()) {
            w.add(base);
        }
        config.rootDrive().ifPresent(r -> {
            w.add(r.partuuid().map(p -> "root=PARTUUID=" + p).orElse("root=/dev/vda"));
            w.add(r.readOnly() ? "ro" : "rw");
        });
        w.add("reboot=t");
        if (tscKhz.isPresent() && !base.contains("tsc_early_khz=")) {
            w.add("tsc_early_khz=" + tscKhz.getAsLong());
            w.add("tsc=reliable");
        }
        return String.join(" ", w);
    }

    /** A value inside a QEMU option list: commas doubled. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }

    private static void add(List<String> a, String... words) {
        a.addAll(Arrays.asList(words));
    }
}
