package dev.banger.daemon.vmm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.BangerConfig;
import dev.banger.core.StatePaths;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.FirecrackerBoot;
import dev.banger.core.vm.FirecrackerCommand;
import dev.banger.core.vm.JailerPlan;
import dev.banger.core.vm.KernelArgs;
import dev.banger.core.vm.KernelKind;
import dev.banger.core.vm.VmmKind;
import dev.banger.host.disk.RawCow;
import dev.banger.host.guest.AgentConnection;
import dev.banger.host.guest.AgentTransport;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.ProcessTable;
import dev.banger.host.vm.FirecrackerApi;
import dev.banger.host.vm.FirecrackerProcess;
import dev.banger.host.vm.JailerLayout;
import dev.banger.host.vm.KvmProbe;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The Firecracker driver: launches {@code firecracker --api-sock vms/ID/api.sock --id ID} detached,
 * configures it through its API ({@link FirecrackerBoot}: logger, metrics, machine, kernel, drives, tap,
 * vsock) and starts the instance; stops it with Ctrl-Alt-Del (the guest resets, Firecracker exits),
 * then SIGKILL. Its root drive is raw ({@link RawCow}). KVM only: where KVM cannot run a guest the start
 * is refused with the reason, unless {@code accel = "kvm"} insists (then banger does not check at all,
 * and Firecracker reports a missing /dev/kvm itself). With {@code [jailer] enabled} it is
 * started by the jailer in a per-VM chroot ({@link JailerPlan}, {@link JailerLayout}) as an unprivileged
 * user; the VM directory's api.sock and vsock.sock then are links to the jail's sockets.
 */
public final class FirecrackerVmm implements Vmm {
    private static final Logger LOG = Logger.getLogger(FirecrackerVmm.class.getName());
    private static final Duration API_READY = Duration.ofSeconds(30);
    /** The machine a snapshot's state is of: Firecracker has one. */
    static final String MACHINE = "firecracker";

    private final BangerConfig.FirecrackerSettings settings;
    private final StatePaths paths;
    private final KernelArgs.Verbosity kernelLog;
    private final Accelerator.Choice accel;
    private final BangerException accelProblem;
    private final boolean deviceMapper;
    private String firecrackerVersion;

    public FirecrackerVmm(Accelerator.Mode mode, KernelArgs.Verbosity kernelLog, BangerConfig.FirecrackerSettings settings, StatePaths paths) {
        this.settings = settings;
        this.paths = paths;
        this.kernelLog = kernelLog;
        Accelerator.Choice chosen = null;
        BangerException problem = null;
        try {
            if (mode == Accelerator.Mode.TCG) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "accel = \"tcg\" is configured, and Firecracker "
                        + "has no TCG: use --vmm qemu, or set accel = \"auto\"");
            }
            if (mode == Accelerator.Mode.KVM) {
                // The user insists: Firecracker is started without banger's check, and says itself what is missing.
                chosen = new Accelerator.Choice(Accelerator.KVM, "accel = \"kvm\" in the configuration: started without "
                        + "banger's KVM check");
            } else {
                chosen = KvmProbe.choose(mode);
                if (!chosen.kvm()) {
                    throw new BangerException(ErrorCode.FAILED_PRECONDITION, "Firecracker needs KVM, and this host cannot give it: "
                            + chosen.reason().replaceFirst("; using TCG$", "") + ". Use --vmm qemu (TCG works anywhere), or set "
                            + "accel = \"kvm\" in config.toml if the detection is wrong");
                }
            }
        } catch (BangerException e) {
            problem = e;
            chosen = null;
        }
        this.accel = chosen;
        this.accelProblem = problem;
        this.deviceMapper = RawCow.deviceMapperUsable();
        LOG.info("Firecracker: " + describe() + "; roots: " + (deviceMapper ? "dm-snapshot" : "full copies (no device-mapper)"));
    }

    @Override
    public String displayName() {
        return "Firecracker";
    }

    @Override
    public List<KernelKind> kernels() {
        return List.of(KernelKind.ELF_VMLINUX);
    }

    @Override
    public Path prepareRoot(VmRecord vm, Path rootfs, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn) {
        if (accelProblem != null) {
            throw accelProblem; // before copying or attaching anything for a VM that cannot start here
        }
        RawCow.Root root = RawCow.prepare(vm.id(), rootfs, Path.of(vm.runtime().systemOverlay()), paths.rootCopy(vm.id()),
                vm.spec().rootDiskMib(), deviceMapper, handles, record);
        root.warning().ifPresent(warn);
        return root.drive();
    }

    /** Also removes the VM's jail (when jailed), which holds links to its drives and the device nodes. */
    @Override
    public void releaseRoot(VmRecord vm, VmHandles handles) {
        if (settings.jailed()) {
            try {
                jail(vm).ifPresent(JailerLayout::cleanup);
            } catch (BangerException e) {
                LOG.warning("VM " + vm.name() + ": cannot remove its jail: " + e.getMessage());
            }
        }
        RawCow.release(vm.id(), handles);
    }

    @Override
    public long launch(VmRecord vm, BootPlan plan) {
        if (!plan.shares().isEmpty()) {
            throw new BangerException(ErrorCode.UNSUPPORTED, "Firecracker has no shared filesystem: VM " + vm.name()
                    + " has host directory mounts; copy files with 'banger vm cp' instead");
        }
        return start(vm, plan, Optional.empty(), Optional.empty());
    }

    /**
     * Starts Firecracker (jailed or not) and configures it over its API: a boot ({@link FirecrackerBoot}, then
     * InstanceStart), or, given a snapshot's directory, a restore ({@link FirecrackerBoot.Restore}). Killed again
     * when any request fails. A boot's requests each get the API client's usual limit; a restore's share
     * {@code timeout}, since its load and resume answer only once the guest's state is in place.
     */
    private long start(VmRecord vm, BootPlan plan, Optional<Path> snapshot, Optional<Duration> timeout) {
        if (accelProblem != null) {
            throw accelProblem;
        }
        String id = vm.id();
        Path vmDir = Path.of(vm.runtime().vmDir());
        Path api = Path.of(vm.runtime().apiSockPath());
        Path vsock = Path.of(vm.runtime().vsockPath());
        Path logFile = paths.firecrackerLog(id);
        Path metrics = Path.of(vm.runtime().metricsPath());
        try {
            // Firecracker refuses to bind a socket path that exists, and a previous boot leaves both behind.
            Files.deleteIfExists(api);
            Files.deleteIfExists(vsock);
            // The logger and metrics files must exist; Firecracker writes them from the start, so empty them.
            for (Path f : List.of(logFile, metrics)) {
                Files.write(f, new byte[0]);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot prepare Firecracker's files in " + vmDir + ": " + e.getMessage(), e);
        }
        List<FirecrackerBoot.Drive> drives = List.of(new FirecrackerBoot.Drive("rootfs", plan.rootDisk(), true, false),
                new FirecrackerBoot.Drive("config", plan.configDrive(), false, true),
                new FirecrackerBoot.Drive("work", plan.workDisk(), false, false));
        Optional<JailerPlan> jail = jail(vm);
        List<FirecrackerBoot.Call> calls;
        List<String> argv;
        if (jail.isPresent()) {
            calls = FirecrackerCalls.jailed(vm, plan, kernelLog, jail.get(), drives, logFile, metrics, snapshot);
            argv = jail.get().argv(List.of("--api-sock", jail.get().apiSocketInside()));
            try {
                // The VM's usual paths lead into the jail, so liveness, stop and vm ports need not know about it.
                Files.createSymbolicLink(api, jail.get().apiSocketHost());
                Files.createSymbolicLink(vsock, jail.get().vsockHost());
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot link the jail's sockets into " + vmDir + ": " + e.getMessage(), e);
            }
        } else {
            calls = FirecrackerCalls.plain(vm, plan, kernelLog, drives, logFile, metrics, vsock, snapshot);
            argv = FirecrackerCommand.argv(FirecrackerProcess.resolveProgram(settings.binary(), "vmm.firecracker").toString(), api, id);
        }
        DetachedProcess.Launched launched = FirecrackerProcess.launch(argv, vmDir, Path.of(vm.runtime().logPath()),
                paths.firecrackerStderr(id));
        try {
            long deadline = System.nanoTime() + timeout.orElse(Duration.ZERO).toNanos();
            launched.awaitSocket(api, API_READY);
            try (FirecrackerApi client = FirecrackerApi.open(api)) {
                for (FirecrackerBoot.Call call : calls) {
                    send(client, call, timeout.map(t -> left(deadline)), jail.isPresent());
                }
            }
            return launched.pid();
        } catch (RuntimeException e) {
            ProcessTable.kill(launched.pid());
            throw e;
        }
    }

    /** One request; a refused load says why a load can fail where a boot would not. */
    private static void send(FirecrackerApi client, FirecrackerBoot.Call call, Optional<Duration> timeout, boolean jailed) {
        try {
            if (timeout.isPresent()) {
                client.send(call, timeout.get());
            } else {
                client.send(call);
            }
        } catch (BangerException e) {
            if (!call.path().equals("/snapshot/load")) {
                throw e;
            }
            throw new BangerException(e.code(), e.getMessage() + ". A load reopens the snapshotted VM's drives at the paths it had"
                    + " (Firecracker's API cannot change them at load; banger moves them to this VM's files just after)"
                    + (jailed ? ", here the names in this VM's jail" : ": without the jailer those are that VM's own files, which"
                    + " must still exist (start it again, or take snapshots with [jailer] enabled, whose names are the same in every jail)"), e);
        }
    }

    private static Duration left(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new BangerException(ErrorCode.TIMED_OUT, "Firecracker did not resume the snapshot in time");
        }
        return Duration.ofNanos(left);
    }

    /** The VM's jail when the jailer is enabled (uid, gid and chroot base from [jailer]). */
    private Optional<JailerPlan> jail(VmRecord vm) {
        if (!settings.jailed()) {
            return Optional.empty();
        }
        return Optional.of(JailerPlan.builder()
                .jailerBinary(FirecrackerProcess.resolveProgram(settings.jailerBinary(), "jailer.binary"))
                .firecrackerBinary(FirecrackerProcess.resolveProgram(settings.binary(), "vmm.firecracker"))
                .id(vm.id()).uid(settings.uid()).gid(settings.gid()).chrootBaseDir(settings.chrootBase())
                .build());
    }

    @Override
    public Optional<Long> find(VmRecord vm) {
        return FirecrackerProcess.findByApiSocket(Path.of(vm.runtime().apiSockPath()), vm.id());
    }

    @Override
    public boolean isRunning(VmRecord vm, long pid) {
        return FirecrackerProcess.isFirecrackerOf(pid, Path.of(vm.runtime().apiSockPath()), vm.id());
    }

    @Override
    public Map<Long, Path> findAll(Path vmsDir) {
        return FirecrackerProcess.findUnder(vmsDir);
    }

    /** Ctrl-Alt-Del through the API (again every few seconds) up to {@code grace}, then SIGKILL ({@link FirecrackerProcess#stop}). */
    @Override
    public boolean stop(VmRecord vm, long pid, Duration grace) {
        return FirecrackerProcess.stop(pid, Path.of(vm.runtime().apiSockPath()), vm.id(), grace).clean();
    }

    @Override
    public void kill(long pid) {
        ProcessTable.kill(pid);
    }

    /** Firecracker always has vsock: it implements the device itself, behind the VM's VSockPath. */
    @Override
    public AgentTransport agentTransport() {
        return AgentTransport.VSOCK;
    }

    /** vsock through the VM's Unix socket and Firecracker's CONNECT/OK handshake; TCP when a boot recorded that. */
    @Override
    public AgentConnection openAgent(VmRecord vm, VmHandles handles, Duration timeout) {
        return handles.agent() == AgentTransport.TCP ? AgentConnection.tcp(vm.runtime().guestIp(), AgentConnection.AGENT_PORT, timeout)
                : AgentConnection.firecracker(Path.of(vm.runtime().vsockPath()), AgentConnection.AGENT_PORT, timeout);
    }

    /**
     * The version comes from {@code firecracker --version} of the configured binary, asked once: a snapshot's needs
     * are asked before a restore too, when no Firecracker of the new VM runs to answer GET /version, and the binary
     * that will resume it is the configured one. (A binary replaced while the daemon runs is seen at its next start;
     * Firecracker refuses a state of another version itself as well.)
     */
    @Override
    public SnapshotNeeds snapshotNeeds(VmSpec spec) {
        if (accelProblem != null) {
            throw accelProblem;
        }
        return new SnapshotNeeds(VmmKind.FIRECRACKER, version(), MACHINE, accel.accel(), spec.vcpus(), spec.memoryMib(), spec.image());
    }

    private synchronized String version() {
        if (firecrackerVersion == null) {
            Path binary = FirecrackerProcess.resolveProgram(settings.binary(), "vmm.firecracker");
            firecrackerVersion = FirecrackerProcess.version(binary).orElseThrow(() -> new BangerException(ErrorCode.FAILED_PRECONDITION,
                    "cannot tell the version of Firecracker (" + binary + " --version): snapshots need it"));
        }
        return firecrackerVersion;
    }

    /** See {@link FirecrackerSnapshot#save}; the root copied is the one this VM's guest writes ({@link RawCow#currentDrive}). */
    @Override
    public SavedState saveState(VmRecord vm, Path dir, long maxStateBytes, Duration timeout) {
        return FirecrackerSnapshot.save(Path.of(vm.runtime().apiSockPath()), jail(vm), dir,
                RawCow.currentDrive(vm.id(), paths.rootCopy(vm.id())), (long) vm.spec().memoryMib() * 1024 * 1024, maxStateBytes, timeout);
    }

    @Override
    public void resume(VmRecord vm, Duration timeout) {
        FirecrackerSnapshot.resume(Path.of(vm.runtime().apiSockPath()), timeout);
    }

    @Override
    public boolean paused(VmRecord vm, Duration timeout) {
        return FirecrackerSnapshot.paused(Path.of(vm.runtime().apiSockPath()));
    }

    /** As {@link #prepareRoot}, over the snapshot's root copy instead of the image's, at its size (the guest knows it). */
    @Override
    public Path prepareRootFromSnapshot(VmRecord vm, Path dir, VmHandles handles, Consumer<VmHandles> record, Consumer<String> warn) {
        if (accelProblem != null) {
            throw accelProblem;
        }
        RawCow.Root root = RawCow.prepare(vm.id(), dir.resolve(FirecrackerSnapshot.ROOT_FILE), Path.of(vm.runtime().systemOverlay()),
                paths.rootCopy(vm.id()), 0, deviceMapper, handles, record);
        root.warning().ifPresent(warn);
        return root.drive();
    }

    /**
     * Firecracker started as {@link #launch} starts it, then told to load the snapshot instead of booting
     * ({@link FirecrackerBoot.Restore}: logger, metrics, load paused with this VM's tap and vsock socket, each drive
     * moved to this VM's file, resume). The guest keeps the snapshot's MAC and vsock CID: no load can change them.
     */
    @Override
    public long launchRestored(VmRecord vm, BootPlan plan, Path dir, Duration timeout) {
        for (String f : List.of(FirecrackerSnapshot.STATE_FILE, FirecrackerSnapshot.MEMORY_FILE)) {
            if (!Files.isRegularFile(dir.resolve(f), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the snapshot in " + dir + " has no " + f
                        + ": it was not taken by Firecracker");
            }
        }
        return start(vm, plan, Optional.of(dir), Optional.of(timeout));
    }

    @Override
    public Capability.Support supports(Capability capability) {
        return switch (capability) {
            case SNAPSHOT -> accelProblem == null ? Capability.Support.yes() : Capability.Support.no(accelProblem.getMessage());
            case MOUNT -> Capability.Support.no("Firecracker has no shared filesystem (no virtiofs or 9p device)");
        };
    }

    @Override
    public String describe() {
        return accel == null ? "Firecracker (" + settings.binary() + "), cannot start VMs here: " + accelProblem.getMessage()
                : "Firecracker (" + settings.binary() + "), " + accel.reason();
    }
}
