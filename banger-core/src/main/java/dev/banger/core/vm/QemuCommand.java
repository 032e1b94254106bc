package dev.banger.core.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The qemu-system-x86_64 command line for a {@link QemuPlan}. Pure: the host layer runs it.
 *
 * <pre>
 * qemu-system-x86_64
 *   -name banger-NAME                       what ps and QEMU's own messages call it
 *   -M microvm,acpi=on                      no PCI, no firmware; ACPI describes the virtio-mmio devices, which
 *                                           Debian's kernel needs (it lacks VIRTIO_MMIO_CMDLINE_DEVICES)
 *   -accel tcg,tb-size=64 -cpu max          TCG: capped translation cache; "max" gives the guest RDRAND, so
 *                                           its CRNG is ready at once (sshd and getrandom() do not wait)
 *   -accel kvm -cpu host                    KVM: the host CPU's features
 *   -m 512M -smp 1
 *   -nodefaults -no-user-config -display none -no-reboot
 *                                           no implicit devices or config files; a guest reboot or a kernel
 *                                           panic (panic=-1) ends the process, which the daemon notices
 *   -global virtio-mmio.force-legacy=false  modern (virtio 1.0) transports, as Firecracker offers
 *   -sandbox on,...                         seccomp: QEMU runs as root, so a guest escaping into it must not
 *                                           also gain exec, setuid or obsolete syscalls
 *   -msg timestamp=on                       QEMU's own messages in its log carry a time
 *   -kernel K [-initrd I] -append ARGS      see {@link KernelArgs}
 *   -chardev file,id=console,path=LOG,append=on -serial chardev:console
 *                                           the console is appended to, so a restart keeps what the last
 *                                           boot printed; readers remember the size at launch
 *   -qmp unix:SOCKET,server=on,wait=off     QMP; QEMU does not wait for a client before booting
 *   -drive id=root,...,format=qcow2,discard=unmap -device virtio-blk-device,drive=root      vda
 *   -drive id=config,...,format=raw,readonly=on   -device virtio-blk-device,drive=config    vdb
 *   -drive id=work,...,format=raw,discard=unmap   -device virtio-blk-device,drive=work      vdc
 *   -netdev tap,id=n0,ifname=TAP,script=no,downscript=no -device virtio-net-device,netdev=n0,mac=MAC
 *   -device virtio-serial-device -chardev socket,id=agent,path=SOCK,server=on,wait=off
 *   -device virtserialport,chardev=agent,name=dev.banger.agent0
 *                                           the guest agent's port: a byte stream that needs no guest network;
 *                                           QEMU listens, the daemon is its one client
 *   -incoming unix:SOCK                     a restore: QEMU waits for a saved state on SOCK instead of booting
 *                                           (the same devices in the same order: the state names them)
 *   -device vhost-vsock-device,guest-cid=CID  where /dev/vhost-vsock exists: the guest agent over vsock
 *   -M microvm,acpi=on,memory-backend=mem -object memory-backend-memfd,id=mem,size=512M,share=on
 *   -chardev socket,id=fs0,path=SOCK -device vhost-user-fs-device,chardev=fs0,tag=banger0
 *                                           a VM with host directories: virtiofsd maps the guest's memory, so it
 *                                           must be a shared memfd (only such VMs get one: it blocks migration,
 *                                           which the snapshots of the others need); one device per directory,
 *                                           after the fixed ones, so vda/vdb/vdc keep their places
 * </pre>
 * microvm gives virtio-mmio devices to the guest in the order of their {@code -device} options, so the
 * drive order is the guest's vda, vdb, vdc (checked by the real-QEMU test).
 */
public final class QemuCommand {
    public static final String BINARY = "qemu-system-x86_64";
    /** The machine type every banger QEMU VM has (a snapshot records it: a state only loads into the same). */
    public static final String MACHINE = "microvm";
    public static final String NAME_PREFIX = "banger-";
    /** The id of the shared memory backend a VM with host directories gets. */
    private static final String SHARED_MEMORY = "mem";

    private QemuCommand() {
    }

    public static List<String> argv(QemuPlan plan) {
        List<String> a = new ArrayList<>();
        a.add(BINARY);
        a.addAll(List.of("-name", NAME_PREFIX + plan.name()));
        a.addAll(List.of("-M", MACHINE + ",acpi=on" + (plan.shares().isEmpty() ? "" : ",memory-backend=" + SHARED_MEMORY)));
        if (!plan.shares().isEmpty()) {
            a.addAll(List.of("-object", "memory-backend-memfd,id=" + SHARED_MEMORY + ",size=" + plan.memoryMib() + "M,share=on"));
        }
        if (Accelerator.KVM.equals(plan.accel())) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            a.addAll(List.of("-accel", "tcg,tb-size=" + plan.tcgTbSizeMib(), "-cpu", "max"));
        }
        a.addAll(List.of("-m", plan.memoryMib() + "M", "-smp", Integer.toString(plan.vcpus())));
        a.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"));
        a.addAll(List.of("-global", "virtio-mmio.force-legacy=false"));
        a.addAll(List.of("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        a.addAll(List.of("-msg", "timestamp=on"));
        a.addAll(List.of("-kernel", plan.kernel().toString()));
        plan.initrd().ifPresent(i -> a.addAll(List.of("-initrd", i.toString())));
        KernelArgs args = plan.kernelArgs().forAccelerator(plan.accel(), plan.kernelArgs().tcgTscKhz());
        a.addAll(List.of("-append", args.line()));
        a.addAll(List.of("-chardev", "file,id=console,path=" + plan.consoleLog() + ",append=on", "-serial", "chardev:console"));
        a.addAll(List.of("-qmp", qmpArgument(plan.qmpSocket())));
        drive(a, "root", plan.rootOverlay(), "format=qcow2,discard=unmap");
        plan.configDrive().ifPresent(p -> drive(a, "config", p, "format=raw,readonly=on"));
        plan.workDisk().ifPresent(p -> drive(a, "work", p, "format=raw,discard=unmap"));
        plan.nic().ifPresent(n -> {
            a.addAll(List.of("-netdev", "tap,id=n0,ifname=" + n.tap() + ",script=no,downscript=no"));
            a.addAll(List.of("-device", "virtio-net-device,netdev=n0,mac=" + n.mac()));
        });
        plan.agentSocket().ifPresent(sock -> a.addAll(List.of("-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + sock + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=" + QemuPlan.AGENT_PORT)));
        plan.vsockCid().ifPresent(cid -> a.addAll(List.of("-device", "vhost-vsock-device,guest-cid=" + cid)));
        for (int i = 0; i < plan.shares().size(); i++) {
            dev.banger.core.mount.Share share = plan.shares().get(i);
            a.addAll(List.of("-chardev", "socket,id=fs" + i + ",path=" + share.socket(),
                    "-device", "vhost-user-fs-device,chardev=fs" + i + ",tag=" + share.tag()));
        }
        plan.incoming().ifPresent(sock -> a.addAll(List.of("-incoming", "unix:" + sock)));
        return List.copyOf(a);
    }

    /** The value of {@code -qmp}; the socket path appears in it verbatim. */
    public static String qmpArgument(Path qmpSocket) {
        return "unix:" + qmpSocket + ",server=on,wait=off";
    }

    private static void drive(List<String> a, String id, Path file, String options) {
        a.addAll(List.of("-drive", "id=" + id + ",file=" + file + ",if=none," + options));
        a.addAll(List.of("-device", "virtio-blk-device,drive=" + id));
    }

    /**
     * Whether a process's argv is a QEMU serving QMP on {@code qmpSocket}: its program is qemu-system-*
     * and a {@code -qmp} option names exactly that socket ("unix:PATH" alone or followed by ",options").
     * A prefix is not enough: /x/api.sock must not match a QEMU on /x/api.sock2.
     */
    public static boolean isQemuWithQmpSocket(List<String> argv, Path qmpSocket) {
        if (argv.isEmpty()) {
            return false;
        }
        String program = argv.get(0);
        String base = program.substring(program.lastIndexOf('/') + 1);
        if (!base.startsWith("qemu-system-")) {
            return false;
        }
        String exact = "unix:" + qmpSocket;
        for (int i = 1; i + 1 < argv.size(); i++) {
            if (argv.get(i).equals("-qmp") || argv.get(i).equals("--qmp")) {
                String v = argv.get(i + 1);
                if (v.equals(exact) || v.startsWith(exact + ",")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The QMP socket of a qemu-system argv (its {@code -qmp unix:PATH[,...]} option) when that path is absolute
     * and at least two directories deep (banger's layout: vms/ID/api.sock); empty for anything else.
     */
    public static Optional<Path> qmpSocketOf(List<String> argv) {
        if (argv.isEmpty() || !argv.get(0).substring(argv.get(0).lastIndexOf('/') + 1).startsWith("qemu-system-")) {
            return Optional.empty();
        }
        for (int i = 1; i + 1 < argv.size(); i++) {
            if ((argv.get(i).equals("-qmp") || argv.get(i).equals("--qmp")) && argv.get(i + 1).startsWith("unix:")) {
                String v = argv.get(i + 1).substring("unix:".length());
                int comma = v.indexOf(',');
                Path sock = Path.of(comma < 0 ? v : v.substring(0, comma));
                return sock.isAbsolute() && sock.getParent() != null && sock.getParent().getParent() != null
                        ? Optional.of(sock) : Optional.empty();
            }
        }
        return Optional.empty();
    }
}
