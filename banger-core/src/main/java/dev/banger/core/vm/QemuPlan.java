package dev.banger.core.vm;

import dev.banger.api.BangerException;
import dev.banger.core.StatePaths;
import dev.banger.core.VmNames;
import dev.banger.core.VmSpecRules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Everything QEMU needs to boot one VM, validated: {@link QemuCommand#argv} turns it into an argv and
 * trusts it. Every value is checked here because the argv is QEMU's option syntax: a comma in a path
 * would start a new option, a relative path would depend on QEMU's working directory.
 *
 * <p>Drives have fixed positions, because the guest finds its root by position ({@code root=/dev/vda}):
 * the root overlay is vda, the config drive vdb, the work disk vdc. So a work disk needs a config drive
 * before it. The guest finds the config drive and the work disk by their labels (CIDATA, banger-work).
 *
 * @param name the VM's name (a DNS label); QEMU is named {@code banger-NAME}
 * @param accel {@link Accelerator#KVM} or {@link Accelerator#TCG}
 * @param tcgTbSizeMib the cap on TCG's translation cache (ignored under KVM), see {@link #DEFAULT_TCG_TB_SIZE_MIB}
 * @param kernel the image's ELF vmlinux when it has a PVH entry note (no decompression on the guest's CPU), else
 *               its bzImage ({@code KernelKind})
 * @param consoleLog the serial console, appended to
 * @param qmpSocket QEMU listens here for QMP; it appears verbatim in the argv, which is how the daemon
 *     finds this VM's QEMU again ({@link QemuCommand#isQemuWithQmpSocket})
 * @param rootOverlay the qcow2 copy-on-write overlay over the image's rootfs (vda, discard on)
 * @param configDrive the raw config drive, attached read-only (vdb)
 * @param workDisk the raw work disk (vdc)
 * @param nic the tap network interface; absent means no network at all (tests, or a VM that needs none)
 * @param vsockCid the guest's vsock CID for a vhost-vsock-device; absent where the host has no
 *     /dev/vhost-vsock
 * @param agentSocket the host end of the guest agent's virtio-serial port ({@link #AGENT_PORT}), a Unix
 *     socket QEMU listens on; the agent's channel needs no guest network
 * @param incoming a Unix socket QEMU listens on for a saved state ({@code -incoming}) instead of booting: a
 *     restore (host.vm.QemuState streams the state into it)
 * @param shares host directories served by virtiofsd (vhost-user-fs-device each); a VM with any gets its memory
 *     from a shared memfd backend, which vhost-user needs (and which blocks migration: such a VM has no snapshots)
 */
public record QemuPlan(String name, String accel, int tcgTbSizeMib, int memoryMib, int vcpus,
                       Path kernel, Optional<Path> initrd, KernelArgs kernelArgs,
                       Path consoleLog, Path qmpSocket,
                       Path rootOverlay, Optional<Path> configDrive, Optional<Path> workDisk,
                       Optional<Nic> nic, OptionalLong vsockCid, Optional<Path> agentSocket, Optional<Path> incoming,
                       List<dev.banger.core.mount.Share> shares) {
    /** The name of the guest agent's virtio-serial port, as the guest finds it in /sys/class/virtio-ports. */
    public static final String AGENT_PORT = "dev.banger.agent0";
    /** Guest CIDs: 0-2 are the hypervisor, local and host; 2^32-1 is "any". */
    public static final long MIN_GUEST_CID = 3;
    public static final long MAX_GUEST_CID = 0xFFFF_FFFEL;

    /**
     * 64 MiB, measured (one VM, 512 MiB, 1 vCPU, fast boot to "banger-init: ready" then 15 s idle): QEMU's
     * RSS is ~475 MiB with TCG's default cache (1 GiB, filled as code is translated), ~265 MiB with 64,
     * ~225 MiB with 32 and ~200 MiB with 16. The boot alone fills a 32 MiB cache (12 full flushes, each
     * retranslating the working set) but flushes a 64 MiB one 4 times; 16 MiB flushed 45 times and booted
     * visibly slower.
     */
    public static final int DEFAULT_TCG_TB_SIZE_MIB = 64;
    public static final int MIN_TCG_TB_SIZE_MIB = 16;
    public static final int MAX_TCG_TB_SIZE_MIB = 2048;
    /** 1 TiB: a sanity bound; the host's own size is checked per VM by {@link VmSpecRules#checkMemory}. */
    public static final int MAX_MEMORY_MIB = 1 << 20;
    /** Linux's PATH_MAX, including the NUL. */
    private static final int MAX_PATH_BYTES = 4095;

    /** A tap device and the guest NIC's MAC address. */
    public record Nic(String tap, String mac) {
        public Nic {
            if (!VmNetwork.isValidTapName(tap)) {
                throw BangerException.invalid("tap device name '" + printable(tap) + "' is invalid: use 1-"
                        + VmNetwork.MAX_INTERFACE_NAME + " characters of a-z, 0-9 and '-', not starting with '-' (banger names them bgr + the VM id)");
            }
            if (!VmNetwork.isValidMac(mac)) {
                throw BangerException.invalid("MAC address '" + printable(mac) + "' is invalid: use six lowercase hex"
                        + " pairs separated by ':', locally administered and unicast (first byte like 02)");
            }
        }

        /** The tap and MAC banger derives from a VM id. */
        public static Nic forVm(String vmId) {
            return new Nic(VmNetwork.tapName(vmId), VmNetwork.mac(vmId));
        }
    }

    public QemuPlan {
        VmNames.validate(name);
        if (!Accelerator.KVM.equals(accel) && !Accelerator.TCG.equals(accel)) {
            throw BangerException.invalid("accelerator '" + printable(accel) + "' is unknown: use kvm or tcg");
        }
        if (tcgTbSizeMib < MIN_TCG_TB_SIZE_MIB || tcgTbSizeMib > MAX_TCG_TB_SIZE_MIB) {
            throw BangerException.invalid("TCG translation cache of " + tcgTbSizeMib + " MiB is out of range: use "
                    + MIN_TCG_TB_SIZE_MIB + " to " + MAX_TCG_TB_SIZE_MIB + " MiB (default " + DEFAULT_TCG_TB_SIZE_MIB + ")");
        }
        if (memoryMib > MAX_MEMORY_MIB) {
            throw BangerException.invalid("memory " + memoryMib + " MiB is out of range: a VM has "
                    + VmSpecRules.MIN_MEMORY_MIB + " to " + MAX_MEMORY_MIB + " MiB");
        }
        VmSpecRules.checkMemory(memoryMib, MAX_MEMORY_MIB);
        VmSpecRules.checkVcpus(vcpus);
        Objects.requireNonNull(initrd, "initrd: use Optional.empty()");
        Objects.requireNonNull(kernelArgs, "kernelArgs");
        Objects.requireNonNull(configDrive, "configDrive: use Optional.empty()");
        Objects.requireNonNull(workDisk, "workDisk: use Optional.empty()");
        Objects.requireNonNull(nic, "nic: use Optional.empty()");
        Objects.requireNonNull(vsockCid, "vsockCid: use OptionalLong.empty()");
        Objects.requireNonNull(agentSocket, "agentSocket: use Optional.empty()");
        Objects.requireNonNull(incoming, "incoming: use Optional.empty()");
        shares = shares == null ? List.of() : List.copyOf(shares);
        if (shares.size() > dev.banger.core.mount.MountRules.MAX_MOUNTS) {
            throw BangerException.invalid(shares.size() + " shared directories: microvm has room for "
                    + dev.banger.core.mount.MountRules.MAX_MOUNTS);
        }
        if (!shares.isEmpty() && incoming.isPresent()) {
            throw BangerException.invalid("a VM with shared directories cannot resume a saved state (vhost-user devices are not migrated)");
        }
        Set<String> tags = new HashSet<>();
        for (dev.banger.core.mount.Share share : shares) {
            checkPath("virtiofs socket", share.socket());
            checkSocketLength("virtiofs socket", share.socket());
            if (!tags.add(share.tag())) {
                throw BangerException.invalid("virtiofs tag " + share.tag() + " is given twice");
            }
        }
        if (vsockCid.isPresent() && (vsockCid.getAsLong() < MIN_GUEST_CID || vsockCid.getAsLong() > MAX_GUEST_CID)) {
            throw BangerException.invalid("vsock CID " + vsockCid.getAsLong() + " is not a guest CID (" + MIN_GUEST_CID + " to "
                    + MAX_GUEST_CID + ")");
        }
        checkPath("kernel", kernel);
        initrd.ifPresent(p -> checkPath("initrd", p));
        checkPath("console log", consoleLog);
        checkPath("QMP socket", qmpSocket);
        checkPath("root overlay", rootOverlay);
        configDrive.ifPresent(p -> checkPath("config drive", p));
        workDisk.ifPresent(p -> checkPath("work disk", p));
        agentSocket.ifPresent(p -> checkPath("agent socket", p));
        checkSocketLength("QMP socket", qmpSocket);
        agentSocket.ifPresent(p -> checkSocketLength("agent socket", p));
        incoming.ifPresent(p -> checkPath("incoming state socket", p));
        incoming.ifPresent(p -> checkSocketLength("incoming state socket", p));
        if (workDisk.isPresent() && configDrive.isEmpty()) {
            throw BangerException.invalid("a work disk needs a config drive: drives have fixed positions (root vda, "
                    + "config vdb, work vdc) and the work disk would otherwise become vdb");
        }
        List<Path> files = new ArrayList<>(List.of(rootOverlay, consoleLog, qmpSocket));
        configDrive.ifPresent(files::add);
        workDisk.ifPresent(files::add);
        agentSocket.ifPresent(files::add);
        incoming.ifPresent(files::add);
        Set<Path> seen = new HashSet<>();
        for (Path p : files) {
            if (!seen.add(p)) {
                throw BangerException.invalid(p + " is given for two different roles (drives, console log, QMP and agent "
                        + "sockets must be distinct files)");
            }
        }
    }

    /** The same plan with the NIC removed (a VM with no network). */
    public QemuPlan withoutNic() {
        return new QemuPlan(name, accel, tcgTbSizeMib, memoryMib, vcpus, kernel, initrd, kernelArgs, consoleLog, qmpSocket,
                rootOverlay, configDrive, workDisk, Optional.empty(), vsockCid, agentSocket, incoming, shares);
    }

    /** The same plan, restoring a saved state streamed into {@code socket} instead of booting its kernel. */
    public QemuPlan withIncoming(Path socket) {
        return new QemuPlan(name, accel, tcgTbSizeMib, memoryMib, vcpus, kernel, initrd, kernelArgs, consoleLog, qmpSocket,
                rootOverlay, configDrive, workDisk, nic, vsockCid, agentSocket, Optional.of(socket), shares);
    }

    /** The same plan with host directories shared through virtiofsd. */
    public QemuPlan withShares(List<dev.banger.core.mount.Share> next) {
        return new QemuPlan(name, accel, tcgTbSizeMib, memoryMib, vcpus, kernel, initrd, kernelArgs, consoleLog, qmpSocket,
                rootOverlay, configDrive, workDisk, nic, vsockCid, agentSocket, incoming, next);
    }

    private static void checkSocketLength(String role, Path socket) {
        int socketBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > StatePaths.MAX_SOCKET_PATH_BYTES) {
            throw BangerException.invalid(role + " path " + socket + " is " + socketBytes + " bytes; Unix sockets allow "
                    + StatePaths.MAX_SOCKET_PATH_BYTES + ": use a shorter BANGER_HOME");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Absolute, normalised, no comma (QEMU's option separator), no control characters, within PATH_MAX. */
    static void checkPath(String role, Path p) {
        if (p == null) {
            throw BangerException.invalid(role + " path is missing");
        }
        String s = p.toString();
        if (!p.isAbsolute() || !p.normalize().equals(p)) {
            throw BangerException.invalid(role + " path '" + printable(s) + "' must be absolute and normalised (no '.' or '..')");
        }
        if (s.indexOf(',') >= 0) {
            throw BangerException.invalid(role + " path '" + printable(s) + "' contains ',', which QEMU reads as an "
                    + "option separator: move BANGER_HOME (or the image) to a path without commas");
        }
        if (s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw BangerException.invalid(role + " path '" + printable(s) + "' contains a control character");
        }
        if (s.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw BangerException.invalid(role + " path is longer than " + MAX_PATH_BYTES + " bytes");
        }
    }

    static String printable(String s) {
        return s == null ? "(none)" : Accelerator.printable(s);
    }

    /** Builds a plan; required values have no defaults, the TCG cache defaults to {@link #DEFAULT_TCG_TB_SIZE_MIB}. */
    public static final class Builder {
        private String name;
        private String accel;
        private int tcgTbSizeMib = DEFAULT_TCG_TB_SIZE_MIB;
        private int memoryMib;
        private int vcpus;
        private Path kernel;
        private Path initrd;
        private KernelArgs kernelArgs = KernelArgs.defaults();
        private Path consoleLog;
        private Path qmpSocket;
        private Path rootOverlay;
        private Path configDrive;
        private Path workDisk;
        private Nic nic;
        private OptionalLong vsockCid = OptionalLong.empty();
        private Path agentSocket;

        private Builder() {
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder accel(String v) {
            accel = v;
            return this;
        }

        public Builder tcgTbSizeMib(int v) {
            tcgTbSizeMib = v;
            return this;
        }

        public Builder memoryMib(int v) {
            memoryMib = v;
            return this;
        }

        public Builder vcpus(int v) {
            vcpus = v;
            return this;
        }

        public Builder kernel(Path v) {
            kernel = v;
            return this;
        }

        public Builder initrd(Path v) {
            initrd = v;
            return this;
        }

        public Builder kernelArgs(KernelArgs v) {
            kernelArgs = v;
            return this;
        }

        public Builder consoleLog(Path v) {
            consoleLog = v;
            return this;
        }

        public Builder qmpSocket(Path v) {
            qmpSocket = v;
            return this;
        }

        public Builder rootOverlay(Path v) {
            rootOverlay = v;
            return this;
        }

        public Builder configDrive(Path v) {
            configDrive = v;
            return this;
        }

        public Builder workDisk(Path v) {
            workDisk = v;
            return this;
        }

        public Builder nic(Nic v) {
            nic = v;
            return this;
        }

        public Builder vsockCid(long cid) {
            vsockCid = OptionalLong.of(cid);
            return this;
        }

        public Builder agentSocket(Path v) {
            agentSocket = v;
            return this;
        }

        public QemuPlan build() {
            return new QemuPlan(name, accel, tcgTbSizeMib, memoryMib, vcpus, kernel, Optional.ofNullable(initrd), kernelArgs,
                    consoleLog, qmpSocket, rootOverlay, Optional.ofNullable(configDrive), Optional.ofNullable(workDisk),
                    Optional.ofNullable(nic), vsockCid, Optional.ofNullable(agentSocket), Optional.empty(), List.of());
        }
    }
}
