package dev.banger.daemon.vmm;

import dev.banger.api.BangerException;
import dev.banger.api.VmRecord;
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

    /** Null when the configured accelerator cannot be used here; then {@link #accelProblem} says why. */
    private final Accelerator.Choice accel;
    private final BangerException accelProblem;
    private final OptionalLong tscKhz;
    private final StatePaths paths;
    private final KernelArgs.Verbosity kernelLog;
    /** Whether guests get a vhost-vsock device (decided once: /dev/vhost-vsock usable at daemon start). */
    private final boolean vsock;

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
        if (accelProblem != null) {
            throw accelProblem;
        }
        Path qmp = Path.of(vm.runtime().apiSockPath());
        QemuPlan.Builder builder = QemuPlan.builder()
                .name(vm.spec().name())
                .accel(accel.accel())
                .memoryMib(vm.spec().memoryMib())
                .vcpus(vm.spec().vcpus())
                .kernel(plan.kernel())
                .initrd(plan.initrd())
                .kernelArgs(KernelArgs.defaults().withVerbosity(kernelLog).forAccelerator(accel.accel(), tscKhz))
                .consoleLog(Path.of(vm.runtime().logPath()))
                .qmpSocket(qmp)
                .rootOverlay(plan.rootDisk())
                .configDrive(plan.configDrive())
                .workDisk(plan.workDisk())
                .nic(new QemuPlan.Nic(plan.tap(), plan.mac()))
                .agentSocket(paths.agentSocket(vm.id()));
        if (vsock) {
            builder.vsockCid(vm.runtime().vsockCid());
        }
        QemuPlan qemu = builder.build();
        DetachedProcess.Launched launched = QemuProcess.launch(QemuCommand.argv(qemu), paths.vmmLog(vm.id()));
        launched.awaitSocket(qmp, QMP_READY);
        return launched.pid();
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
        return Capability.Support.no("not built yet: banger's " + capability.what() + " are the next issues' work");
    }

    @Override
    public String describe() {
        return accel == null ? "QEMU microvm, no usable accelerator: " + accelProblem.getMessage()
                : "QEMU microvm, " + accel.accel() + ": " + accel.reason();
    }
}
