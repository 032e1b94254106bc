package dev.banger.daemon.vmm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.vm.VmmKind;
import dev.banger.host.vm.QemuState;
import dev.banger.host.vm.QmpClient;
import java.io.IOException;
import java.nio.file.Files;
import dev.banger.core.StatePaths;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.core.vm.KernelKind;
import dev.banger.core.vm.QemuCommand;
import dev.banger.core.vm.QemuPlan;
import dev.banger.host.disk.Disks;
import dev.banger.host.guest.AgentConnection;
import dev.banger.host.guest.AgentTransport;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.ProcessTable;
import dev.banger.host.vm.KvmProbe;
import dev.banger.host.vm.QemuProcess;
import dev.banger.host.vm.VhostVsock;
import dev.banger.host.vm.VmHandles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/** The QEMU microvm driver: KVM where it really works, TCG otherwise (decided once, at daemon start). */
public final class QemuVmm implements Vmm {
    private static final Logger LOG = Logger.getLogger(QemuVmm.class.getName());
    private static final Duration QMP_READY = Duration.ofSeconds(30);
    private static final Duration QMP_CONNECT = Duration.ofSeconds(10);
    /** A snapshot's files, as this driver names them in the snapshot's directory. */
    static final String STATE_FILE = "state";
    static final String ROOT_FILE = "root.qcow2";
    private static final String SAVE_SOCKET = "save.sock";

    /** Null when the configured accelerator cannot be used here; then {@link #accelProblem} says why. */
    private final Accelerator.Choice accel;
    private final BangerException accelProblem;
    private final OptionalLong tscKhz;
    private final StatePaths paths;
    private final KernelArgs.Verbosity kernelLog;
    /** Whether guests get a vhost-vsock device (decided once: /dev/vhost-vsock usable at daemon start). */
    private final boolean vsock;
    private String qemuVersion;
    /** The host's virtiofsd, found once at daemon start: QEMU shares directories only with one. */
    private final Optional<dev.banger.core.mount.VirtiofsdCommand.Binary> virtiofsd;

    public QemuVmm(Accelerator.Mode mode, KernelArgs.Verbosity kernelLog, StatePaths paths) {
        this.paths = paths;
        this.kernelLog = kernelLog;
        Accelerator.Choice chosen = null;
        BangerException problem = null;
        try {
            chosen = KvmProbe.choose(mode);
            LOG.info("QEMU accelerator: " + chosen.accel() + " (" + chosen.reason() + ")");
        } catch (BangerException e) {
            // The daemon still serves everything else (list, delete, images); starting a VM reports this.
            problem = e;
            LOG.warning("QEMU accelerator: " + e.getMessage());
        }
        this.accel = chosen;
        this.accelProblem = problem;
        this.tscKhz = KvmProbe.hostTscKhz();
        this.vsock = VhostVsock.usable();
        LOG.info("guest agents: " + (vsock ? "vsock (vhost-vsock-device)" : "TCP (no usable /dev/vhost-vsock)"));
        this.virtiofsd = dev.banger.host.mount.Virtiofsd.find();
        LOG.info("host directory mounts: " + virtiofsd.map(b -> "virtiofsd " + b.describe()).orElse("none (no virtiofsd on this host)"));
    }

    @Override
    public String displayName() {
        return "QEMU";
    }

    @Override
    public List<KernelKind> kernels() {
        return List.of(KernelKind.PVH_VMLINUX, KernelKind.BZIMAGE);
    }

    /** A qcow2 overlay: QEMU does copy-on-write itself, nothing to attach on the host. */
    @Override
    public Path prepareRoot(VmRecord vm, Path rootfs, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn) {
        Path overlay = Path.of(vm.runtime().systemOverlay());
        Disks.ensureOverlay(rootfs, overlay, vm.spec().rootDiskMib());
        return overlay;
    }

    @Override
    public void releaseRoot(VmRecord vm, VmHandles handles) {
        // nothing attached
    }

    @Override
    public long launch(VmRecord vm, BootPlan plan) {
        QemuPlan qemu = plan(vm, plan);
        DetachedProcess.Launched launched = QemuProcess.launch(QemuCommand.argv(qemu), paths.vmmLog(vm.id()));
        launched.awaitSocket(qemu.qmpSocket(), QMP_READY);
        return launched.pid();
    }

    /** The QEMU of {@code vm} with the plan's devices: a restore's must be the snapshotted VM's layout, so one place makes both. */
    private QemuPlan plan(VmRecord vm, BootPlan plan) {
        if (accelProblem != null) {
            throw accelProblem;
        }
        QemuPlan.Builder builder = QemuPlan.builder()
                .name(vm.spec().name())
                .accel(accel.accel())
                .memoryMib(vm.spec().memoryMib())
                .vcpus(vm.spec().vcpus())
                .kernel(plan.kernel())
                .initrd(plan.initrd())
                .kernelArgs(KernelArgs.defaults().withVerbosity(kernelLog).forAccelerator(accel.accel(), tscKhz))
                .consoleLog(Path.of(vm.runtime().logPath()))
                .qmpSocket(Path.of(vm.runtime().apiSockPath()))
                .rootOverlay(plan.rootDisk())
                .configDrive(plan.configDrive())
                .workDisk(plan.workDisk())
                .nic(new QemuPlan.Nic(plan.tap(), plan.mac()))
                .agentSocket(paths.agentSocket(vm.id()));
        if (vsock) {
            builder.vsockCid(vm.runtime().vsockCid());
        }
        return builder.build().withShares(plan.shares());
    }

    @Override
    public SnapshotNeeds snapshotNeeds(VmSpec spec) {
        if (accelProblem != null) {
            throw accelProblem;
        }
        return new SnapshotNeeds(VmmKind.QEMU, version(), QemuCommand.MACHINE, accel.accel(), spec.vcpus(), spec.memoryMib(), spec.image());
    }

    /** This host's QEMU version, asked once. */
    private synchronized String version() {
        if (qemuVersion == null) {
            qemuVersion = QemuProcess.version().orElseThrow(() -> new BangerException(ErrorCode.FAILED_PRECONDITION,
                    "cannot tell this host's QEMU version (" + QemuCommand.BINARY + " --version): snapshots need it; "
                            + "install Debian's qemu-system-x86 package"));
        }
        return qemuVersion;
    }

    /**
     * QMP stop and a migration into {@value #STATE_FILE} ({@link QemuState}); then the root overlay is copied: a
     * completed migration has flushed and released the guest's disks, so the copy is the disk at the moment the
     * memory was saved. The overlay's backing file (the image's root) stays where it is: the copy layers on it.
     */
    @Override
    public SavedState saveState(VmRecord vm, Path dir, long maxStateBytes, Duration timeout) {
        Path state = dir.resolve(STATE_FILE);
        Path root = dir.resolve(ROOT_FILE);
        try (QmpClient qmp = QmpClient.connect(Path.of(vm.runtime().apiSockPath()), QMP_CONNECT)) {
            QemuState.Saved saved = QemuState.save(qmp, state, dir.resolve(SAVE_SOCKET), maxStateBytes, timeout);
            Disks.copySparse(Path.of(vm.runtime().systemOverlay()), root);
            return new SavedState(saved.bytes(), saved.stopped());
        } catch (RuntimeException e) {
            deleteQuietly(state);
            deleteQuietly(root);
            throw e;
        }
    }

    @Override
    public void resume(VmRecord vm, Duration timeout) {
        try (QmpClient qmp = QmpClient.connect(Path.of(vm.runtime().apiSockPath()), QMP_CONNECT)) {
            if (!qmp.status().running()) {
                QemuState.resume(qmp, timeout);
            }
        }
    }

    @Override
    public boolean paused(VmRecord vm, Duration timeout) {
        try (QmpClient qmp = QmpClient.connect(Path.of(vm.runtime().apiSockPath()), QMP_CONNECT)) {
            return !qmp.status().running();
        }
    }

    /** A qcow2 overlay over the snapshot's root copy, the same size (the saved guest knows its disk's size). */
    @Override
    public Path prepareRootFromSnapshot(VmRecord vm, Path dir, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn) {
        Path overlay = Path.of(vm.runtime().systemOverlay());
        Disks.ensureOverlayOnQcow2(dir.resolve(ROOT_FILE), overlay);
        return overlay;
    }

    /** QEMU started with {@code -incoming unix:} on a socket in the VM's directory, the state streamed in, then {@code cont}. */
    @Override
    public long launchRestored(VmRecord vm, BootPlan plan, Path dir, Duration timeout) {
        Path incoming = paths.incomingSocket(vm.id());
        deleteQuietly(incoming);
        QemuPlan qemu = plan(vm, plan).withIncoming(incoming);
        DetachedProcess.Launched launched = QemuProcess.launch(QemuCommand.argv(qemu), paths.vmmLog(vm.id()));
        try {
            launched.awaitSocket(qemu.qmpSocket(), QMP_READY);
            // Not awaitSocket(incoming): its probe connection would be taken for the state. QemuState retries instead.
            try (QmpClient qmp = QmpClient.connect(qemu.qmpSocket(), QMP_CONNECT)) {
                QemuState.load(qmp, incoming, dir.resolve(STATE_FILE), timeout);
                QemuState.resume(qmp, timeout);
            }
            return launched.pid();
        } catch (RuntimeException e) {
            ProcessTable.kill(launched.pid());
            throw e;
        } finally {
            deleteQuietly(incoming);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.fine("cannot remove " + p + ": " + e.getMessage());
        }
    }

    @Override
    public Optional<Long> find(VmRecord vm) {
        return QemuProcess.findByQmpSocket(Path.of(vm.runtime().apiSockPath()));
    }

    @Override
    public boolean isRunning(VmRecord vm, long pid) {
        return QemuProcess.isQemuOf(pid, Path.of(vm.runtime().apiSockPath()));
    }

    @Override
    public Map<Long, Path> findAll(Path vmsDir) {
        return QemuProcess.findUnder(vmsDir);
    }

    @Override
    public boolean stop(VmRecord vm, long pid, Duration grace) {
        return QemuProcess.stop(pid, Path.of(vm.runtime().apiSockPath()), grace).clean();
    }

    @Override
    public void kill(long pid) {
        ProcessTable.kill(pid);
    }

    /**
     * The virtio-serial port every QEMU VM has: a host-only byte stream that needs no guest network and
     * no kernel module on the host. (vhost-vsock, where it works, is used only by boots that recorded it.)
     */
    @Override
    public AgentTransport agentTransport() {
        return AgentTransport.SERIAL;
    }

    /** The transport the boot recorded: its serial port's socket, the kernel's AF_VSOCK to its CID, or TCP to its address. */
    @Override
    public AgentConnection openAgent(VmRecord vm, VmHandles handles, Duration timeout) {
        AgentTransport t = handles.agent() != null ? handles.agent() : AgentTransport.TCP;
        return switch (t) {
            case SERIAL -> AgentConnection.unix(paths.agentSocket(vm.id()), timeout);
            case VSOCK -> AgentConnection.vsock(vm.runtime().vsockCid(), AgentConnection.AGENT_PORT, timeout);
            case TCP -> AgentConnection.tcp(vm.runtime().guestIp(), AgentConnection.AGENT_PORT, timeout);
        };
    }

    @Override
    public Capability.Support supports(Capability capability) {
        return switch (capability) {
            case SNAPSHOT -> accelProblem == null ? Capability.Support.yes() : Capability.Support.no(accelProblem.getMessage());
            case MOUNT -> virtiofsd.isPresent() ? Capability.Support.yes() : Capability.Support.no("no virtiofsd on this host: install "
                    + "Debian's qemu-system-common (QEMU 7.2's /usr/lib/qemu/virtiofsd) or, from Debian 13, the virtiofsd package");
        };
    }

    @Override
    public String describe() {
        return accel == null ? "QEMU microvm, no usable accelerator: " + accelProblem.getMessage()
                : "QEMU microvm, " + accel.accel() + ": " + accel.reason();
    }
}
