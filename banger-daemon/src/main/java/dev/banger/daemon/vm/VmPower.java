package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.StatePaths.VmFile;
import dev.banger.core.StatePaths;
import dev.banger.core.guest.GuestConfig;
import dev.banger.core.net.InterfaceNames;
import dev.banger.core.vm.KernelKind;
import dev.banger.host.vm.KernelFiles;
import dev.banger.core.vm.VmNetwork;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.net.GuestNetwork;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.AtomicFiles;
import dev.banger.host.disk.Disks;
import dev.banger.host.guest.ConfigDrive;
import dev.banger.host.guest.SshKeys;
import dev.banger.host.vm.VmHandles;
import dev.banger.host.mount.MountHandles;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Boots and stops VMs. A start is a pipeline of {@link StartStep}s, each with an action and an undo; the
 * list drives the progress notifications, the crash points and the undo. A start that fails leaves the VM
 * {@code error} with LastError saying why, and nothing of it running or attached: the steps done are
 * undone in reverse (the VMM killed, the tap removed, the root's devices released).
 *
 * <p>The VM's lock is held while the steps change the host, not while the guest boots: the last step
 * (sshd answering) waits without it, so {@code vm stop} and {@code vm delete --force} act at once on a
 * boot that hangs. They cancel the start ({@link BootTickets}); it then neither finishes nor undoes
 * anything: whoever cancelled it has taken the VM over.
 */
public final class VmPower {
    private static final Logger LOG = Logger.getLogger(VmPower.class.getName());
    /** TCG boots the fast init in ~5 s on 2 cores; leave room for a loaded machine and systemd images. */
    static final Duration SSH_TIMEOUT = Duration.ofSeconds(Long.getLong("banger.sshTimeoutSeconds", 120));
    static final Duration STOP_GRACE = Duration.ofSeconds(30);
    /** Between probes that returned at once (a probe that waits, the agent's handshake, paces itself). */
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(25);
    /** How long sshd may answer alone before the start gives up on the agent (an image without one). */
    static final Duration AGENT_GRACE = Duration.ofSeconds(Long.getLong("banger.agentGraceSeconds", 8));
    private static final int CONSOLE_TAIL_LINES = 15;
    /** A snapshot's copy of its VM's work disk, beside the driver's files in the snapshot's directory. */
    public static final String SNAPSHOT_WORK_DISK = "work.img";

    private final VmStore store;
    private final StatePaths paths;
    private final ImageService images;
    private final Vmms vmms;
    private final GuestNetwork network;
    private final VmLocks locks;
    private final Clock clock;
    private final VmTransitions transitions;
    private final VmHandleCache handles;
    private final VmLiveness liveness;
    private final VmDirectories dirs;
    private final GuestProbe probe;
    private final Restores restores;
    private final BootTickets boots = new BootTickets();
    private final Shares.Runtime mounts;
    /** Loading a saved state: ~0.7 s for a fresh 512 MiB guest under TCG; a large, busy guest's takes longer. */
    static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(Long.getLong("banger.restoreTimeoutSeconds", 120));
    /** The agent's re-identification of a restored guest (a script of a few programs in the guest). */
    static final Duration IDENTITY_TIMEOUT = Duration.ofSeconds(60);

    public VmPower(VmStore store, StatePaths paths, ImageService images, Vmms vmms, GuestNetwork network, VmLocks locks, Clock clock,
                   VmHandleCache handles, VmLiveness liveness, VmTransitions transitions, GuestProbe probe) {
        this(store, paths, images, vmms, network, locks, clock, handles, liveness, transitions, probe, Restores.NONE);
    }

    public VmPower(VmStore store, StatePaths paths, ImageService images, Vmms vmms, GuestNetwork network, VmLocks locks, Clock clock,
                   VmHandleCache handles, VmLiveness liveness, VmTransitions transitions, GuestProbe probe, Restores restores) {
        this(store, paths, images, vmms, network, locks, clock, handles, liveness, transitions, probe, restores, Shares.NONE.runtime());
    }

    public VmPower(VmStore store, StatePaths paths, ImageService images, Vmms vmms, GuestNetwork network, VmLocks locks, Clock clock,
                   VmHandleCache handles, VmLiveness liveness, VmTransitions transitions, GuestProbe probe, Restores restores,
                   Shares.Runtime mounts) {
        this.mounts = mounts;
        this.restores = restores;
        this.handles = handles;
        this.liveness = liveness;
        this.store = store;
        this.paths = paths;
        this.images = images;
        this.vmms = vmms;
        this.network = network;
        this.locks = locks;
        this.clock = clock;
        this.transitions = transitions;
        this.dirs = new VmDirectories(paths.vmsDir());
        this.probe = probe;
    }

    /** What one start has found and made so far, shared by its steps. */
    private final class Boot {
        final BootTickets.Ticket ticket;
        final Progress progress;
        final Attached attached;
        final Vmm vmm;
        VmRecord vm;
        Path kernel;
        Path initrd;
        Path rootfs;
        Path rootDisk;
        Path configDrive;
        GuestConfig guest;
        final String tap;
        Long pid;
        /** The host directories its VMM is given (virtiofsd sockets), from the mounts step. */
        List<dev.banger.core.mount.Share> shares = List.of();
        /** The snapshot this start resumes instead of booting; null for a boot. */
        Restores.Pending restore;

        Boot(VmRecord vm, BootTickets.Ticket ticket, Progress progress) {
            this.vm = vm;
            this.ticket = ticket;
            this.progress = progress;
            this.vmm = vmms.of(vm);
            this.attached = new Attached(vm);
            this.tap = InterfaceNames.tapFor(vm.id());
        }
    }

    /** One step: what it says while it runs, what it does, how to take it back. */
    private record Step(StartStep name, Function<Boot, String> message, Consumer<Boot> action,
                        Consumer<Boot> undo) {
    }

    /** The start's steps but the last, which waits for the guest without the lock ({@link #awaitGuest}). */
    private List<Step> hostSteps() {
        return List.of(
                new Step(StartStep.IMAGE, b -> "checking image " + b.vm.spec().image()
                        + (b.restore != null ? " and snapshot " + b.restore.snapshot() : ""), this::findImage, b -> { }),
                new Step(StartStep.DISKS, b -> b.restore != null ? "disks over snapshot " + b.restore.snapshot()
                        : "copy-on-write root and work disk", this::prepareDisks, this::releaseDisks),
                new Step(StartStep.CONFIG, b -> "keys and config drive", b -> {
                    b.guest = guestConfig(b.vm);
                    b.configDrive = writeConfigDrive(b.vm, b.guest);
                }, b -> { }),
                new Step(StartStep.NETWORK, b -> "bridge " + network.bridge() + ", tap " + b.tap, this::attachTap,
                        b -> network.deleteTap(b.tap)),
                new Step(StartStep.MOUNTS, b -> b.vm.mounts().isEmpty() ? "no host directories"
                        : b.vm.mounts().size() + " host director" + (b.vm.mounts().size() == 1 ? "y" : "ies") + " (virtiofsd)",
                        b -> b.shares = mounts.attach(b.vm, part -> b.attached.accept(b.attached.now().with(MountHandles.PART, part))),
                        b -> {
                            if (!b.vm.mounts().isEmpty()) {
                                mounts.release(b.vm.id());
                            }
                        }),
                new Step(StartStep.BOOT, b -> b.restore != null ? "resuming snapshot " + b.restore.snapshot() + " (" + b.vmm.describe() + ")"
                        : b.vmm.describe(), this::launch, b -> {
                    if (b.pid != null) {
                        b.vmm.kill(b.pid);
                    }
                    restoringMarker(b.vm, false);
                }));
    }

    public VmRecord start(VmRecord found, Call call) {
        Deque<Step> done = new ArrayDeque<>();
        Boot boot = locks.with(found.id(), () -> {
            VmRecord vm = reload(found);
            if (vm.state() == VmState.RUNNING && liveness.vmAlive(vm)) {
                return null;
            }
            // Before anything is written into it: a real directory of root's, no links planted in it.
            dirs.check(Path.of(vm.runtime().vmDir()), "the directory of VM '" + vm.name() + "'");
            BootTickets.Ticket ticket = boots.begin(vm.id());
            vm = transitions.move(vm, VmState.STARTING, null);
            CrashPoint.START_AFTER_STARTING.reach();
            Boot b = new Boot(vm, ticket, new Progress(call, clock.instant()));
            b.restore = restores.source().pending(vm).orElse(null);
            try {
                for (Step step : hostSteps()) {
                    checkNotCancelled(b);
                    b.progress.report(step.name(), step.message().apply(b));
                    step.action().accept(b);
                    done.push(step);
                    CrashPoint.after(step.name()).reach();
                }
            } catch (RuntimeException e) {
                throw failed(b, done, e);
            }
            return b;
        });
        if (boot == null) {
            return reload(found);
        }
        try {
            awaitGuest(boot);
        } catch (RuntimeException e) {
            throw locks.with(found.id(), () -> boot.ticket.cancelled() || reload(found).state() != VmState.STARTING
                    ? cancelled(boot) : failed(boot, done, e));
        }
        return locks.with(found.id(), () -> {
            try {
                VmRecord now = reload(found);
                if (boot.ticket.cancelled() || now.state() != VmState.STARTING) {
                    throw cancelled(boot);
                }
                CrashPoint.after(StartStep.GUEST).reach();
                if (boot.restore != null) {
                    restoringMarker(now, false); // before running: a daemon killed between the two keeps a whole guest
                }
                VmRecord running = transitions.move(now, VmState.RUNNING, null);
                LOG.info("VM " + running.name() + " running after " + boot.progress.elapsed().toMillis() + " ms");
                return running;
            } finally {
                boots.end(found.id(), boot.ticket);
            }
        });
    }

    private void findImage(Boot b) {
        ImageManifest image = images.info(b.vm.spec().image()).manifest();
        Path imageDir = paths.imageDir(b.vm.spec().image());
        b.kernel = kernel(imageDir, image, b.vmm);
        b.initrd = imageFile(imageDir, image, ImageManifest.ROLE_INITRD, "an initramfs");
        b.rootfs = imageFile(imageDir, image, ImageManifest.ROLE_ROOTFS, "a root filesystem");
        if (b.restore != null && !b.vm.mounts().isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + b.vm.name() + " has host directory mounts and cannot resume "
                    + "snapshot " + b.restore.snapshot() + " (its saved state has no such devices)");
        }
        if (b.restore != null) {
            // Before anything is attached: a state this VMM cannot take is refused with every reason.
            b.restore.needs().refusal(b.vmm.snapshotNeeds(b.vm.spec())).ifPresent(why -> {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot resume VM " + b.vm.name() + " from snapshot "
                        + b.restore.snapshot() + ": " + why);
            });
        }
    }

    private void prepareDisks(Boot b) {
        String name = b.vm.name();
        Consumer<String> warn = warning -> {
            LOG.warning("VM " + name + ": " + warning);
            b.progress.warn(warning);
        };
        Path work = Path.of(b.vm.runtime().workDiskPath());
        if (b.restore != null && !b.restore.inPlace()) {
            // The saved guest has the snapshot's disks mounted: its own overlay over the root, a copy of the work disk.
            b.rootDisk = b.vmm.prepareRootFromSnapshot(b.vm, b.restore.dir(), b.attached.now(), b.attached, warn);
            if (!Files.exists(work)) {
                Disks.copySparse(b.restore.dir().resolve(SNAPSHOT_WORK_DISK), work);
            }
            return;
        }
        b.rootDisk = b.vmm.prepareRoot(b.vm, b.rootfs, b.attached.now(), b.attached, warn);
        Disks.ensureWorkDisk(work, b.vm.spec().workDiskMib());
    }

    /**
     * Undoes {@link #prepareDisks}: what the driver attached; for a restore also the disks it made, so that the next
     * start resumes the snapshot again (a guest that never ran has written nothing worth keeping).
     */
    private void releaseDisks(Boot b) {
        b.vmm.releaseRoot(b.vm, b.attached.now());
        if (b.restore != null && !b.restore.inPlace()) {
            removeRestoredDisks(b.vm);
        }
    }

    /**
     * After a restore the daemon died in (reconcile): the disks it made go, so the next start resumes the snapshot
     * afresh; but an in-place restore's disks are the VM's own, kept, and its state is spent (the guest may have run).
     */
    void undoRestoreDisks(VmRecord vm) {
        if (restoringInPlace(vm)) {
            restores.source().pending(vm).filter(Restores.Pending::inPlace).ifPresent(p -> restores.source().spent(vm, p));
        } else {
            removeRestoredDisks(vm);
        }
    }

    /** The disks a restore made for {@code vm}: its next start makes them again and resumes. */
    void removeRestoredDisks(VmRecord vm) {
        for (String file : List.of(vm.runtime().systemOverlay(), vm.runtime().workDiskPath())) {
            try {
                Files.deleteIfExists(Path.of(file));
            } catch (IOException e) {
                LOG.warning("VM " + vm.name() + ": cannot remove " + file + " after an unfinished restore: " + e.getMessage());
            }
        }
    }

    private void attachTap(Boot b) {
        network.ensure();
        // Scratch first: a daemon killed right after creating the tap leaves the next one its name.
        b.attached.accept(b.attached.now().withTap(b.tap));
        if (b.restore != null) {
            network.createIsolatedTap(b.tap); // on the bridge only once the guest is re-identified (awaitGuest)
        } else {
            network.createTap(b.tap, b.vm.runtime().guestIp());
        }
    }

    /** The marker of a restore under way ({@link VmFile#RESTORING}): present from before the VMM starts until the guest is its own. */
    void restoringMarker(VmRecord vm, boolean present) {
        restoringMarker(vm, present, false);
    }

    private void restoringMarker(VmRecord vm, boolean present, boolean inPlace) {
        Path marker = VmFile.RESTORING.in(Path.of(vm.runtime().vmDir()));
        try {
            if (present) {
                AtomicFiles.write(marker, inPlace ? IN_PLACE_MARKER : "resuming from a snapshot\n");
            } else {
                Files.deleteIfExists(marker);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot " + (present ? "write " : "remove ") + marker + ": " + e.getMessage(), e);
        }
    }

    static boolean restoring(VmRecord vm) {
        return Files.exists(VmFile.RESTORING.in(Path.of(vm.runtime().vmDir())));
    }

    private static final String IN_PLACE_MARKER = "resuming in place (the VM's own disks)\n";

    /** Whether the restore under way ({@link VmFile#RESTORING}) is an in-place one: its disks are the VM's own. */
    static boolean restoringInPlace(VmRecord vm) {
        try (var in = Files.newInputStream(VmFile.RESTORING.in(Path.of(vm.runtime().vmDir())), LinkOption.NOFOLLOW_LINKS)) {
            return new String(in.readNBytes(IN_PLACE_MARKER.length() + 1), StandardCharsets.UTF_8).equals(IN_PLACE_MARKER);
        } catch (IOException e) {
            return false;
        }
    }

    private void launch(Boot b) {
        Vmm.BootPlan plan = new Vmm.BootPlan(b.kernel, b.initrd, b.rootDisk, b.configDrive,
                Path.of(b.vm.runtime().workDiskPath()), b.tap, VmNetwork.mac(b.vm.id()), b.shares);
        if (b.restore != null) {
            restoringMarker(b.vm, true, b.restore.inPlace());
            try {
                b.pid = b.vmm.launchRestored(b.vm, plan, b.restore.dir(), RESTORE_TIMEOUT);
            } finally {
                if (b.restore.inPlace()) {
                    restores.source().spent(b.vm, b.restore);
                }
            }
        } else {
            b.pid = b.vmm.launch(b.vm, plan);
        }
        LOG.info("VM " + b.vm.name() + ": VMM started, pid " + b.pid);
        b.attached.accept(b.attached.now().withPid(b.pid).withAgent(b.vmm.agentTransport()));
        watch(b.vm, b.pid);
    }

    /**
     * The last step, without the VM's lock: probes the guest until its agent reports it ready (or only sshd
     * answers for {@link #AGENT_GRACE}: an image without the agent, said once), the VMM dies, the start is
     * cancelled or time runs out.
     */
    private void awaitGuest(Boot b) {
        if (b.restore != null) {
            b.progress.report(StartStep.GUEST, "re-identifying " + b.vm.name() + " through its agent");
            restores.identity().reidentify(b.vm, b.guest, IDENTITY_TIMEOUT);
            checkNotCancelled(b);
            network.createTap(b.tap, b.vm.runtime().guestIp()); // now its own machine: onto the bridge
        }
        b.progress.report(StartStep.GUEST, "waiting for the guest agent on " + b.vm.name());
        long deadline = System.nanoTime() + SSH_TIMEOUT.toNanos();
        long sshSince = 0;
        while (true) {
            checkNotCancelled(b);
            if (!liveness.vmAlive(b.vm)) {
                throw new BangerException(ErrorCode.BOOT_FAILED, "the VM's " + b.vmm.displayName() + " exited during boot");
            }
            GuestProbe.Readiness r = probe.probe(b.vm);
            if (r == GuestProbe.Readiness.AGENT_READY) {
                return;
            }
            if (r == GuestProbe.Readiness.SSH_ONLY) {
                long now = System.nanoTime();
                sshSince = sshSince == 0 ? now : sshSince;
                if (now - sshSince > AGENT_GRACE.toNanos()) {
                    String notice = "the guest agent of VM " + b.vm.name() + " did not answer, though sshd does: its image has no "
                            + "agent (or an older one); SSH works, vm exec and vm ports will not (rebuild the image with this banger)";
                    LOG.warning(notice);
                    b.progress.warn(notice);
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new BangerException(ErrorCode.TIMED_OUT, "the guest did not become ready (neither its agent nor sshd answered) within "
                        + SSH_TIMEOUT.toSeconds() + " s; the console log is " + b.vm.runtime().logPath());
            }
            b.progress.heartbeat();
            try {
                Thread.sleep(PROBE_INTERVAL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.CANCELLED, "interrupted while waiting for the guest");
            }
        }
    }

    private void checkNotCancelled(Boot b) {
        if (b.ticket.cancelled()) {
            throw cancelled(b);
        }
    }

    private BangerException cancelled(Boot b) {
        boots.end(b.vm.id(), b.ticket);
        String by = b.ticket.cancelledBy() != null ? b.ticket.cancelledBy() : "changed by another operation";
        return new BangerException(ErrorCode.CANCELLED, "VM " + b.vm.name() + " was " + by + " while it was starting");
    }

    /** Undoes the steps done, newest first, and leaves the VM {@code error} with the reason; the error to throw. */
    private BangerException failed(Boot b, Deque<Step> done, RuntimeException e) {
        boots.end(b.vm.id(), b.ticket);
        if (e instanceof BangerException be && be.code() == ErrorCode.CANCELLED) {
            return be; // whoever cancelled the start has taken the VM over: nothing to undo here
        }
        while (!done.isEmpty()) {
            Step step = done.pop();
            try {
                step.undo().accept(b);
            } catch (RuntimeException undoFailure) {
                LOG.warning("VM " + b.vm.name() + ": undoing " + step.name().wireName() + " after a failed start: " + undoFailure.getMessage());
            }
        }
        handles.remove(b.vm);
        String why = e.getMessage() + (b.pid != null ? consoleTail(b.vm) : "");
        transitions.move(reload(b.vm), VmState.ERROR, why);
        ErrorCode code = e instanceof BangerException be ? be.code() : ErrorCode.INTERNAL;
        return new BangerException(code, "cannot start VM " + b.vm.name() + ": " + why, e);
    }

    public VmRecord stop(VmRecord found, boolean force) {
        boots.cancel(found.id(), "stopped");
        return locks.with(found.id(), () -> {
            VmRecord vm = reload(found);
            // A VM still starting has no guest to shut down politely, and its boot may hang: it is killed.
            boolean kill = force || vm.state() == VmState.STARTING;
            switch (vm.state()) {
                case STOPPED:
                    tearDown(vm, true); // a VMM started behind banger's back, or a tap left over: nothing may stay
                    return vm;
                case RUNNING, STARTING:
                    vm = transitions.move(vm, VmState.STOPPING, null);
                    CrashPoint.STOP_AFTER_STOPPING.reach();
                    break;
                default:
                    break;
            }
            tearDown(vm, kill);
            return transitions.move(vm, VmState.STOPPED, null);
        });
    }

    /** Cancels {@code vmId}'s start, if one is in progress (a delete is about to take the VM over). */
    void cancelStart(String vmId, String by) {
        boots.cancel(vmId, by);
    }

    /**
     * When a VMM exits behind banger's back (the guest powered off, QEMU crashed, someone killed it), the
     * VM becomes stopped with the reason and its tap is released, within a second or so.
     */
    public void watch(VmRecord vm, long pid) {
        liveness.whenExited(vm, pid).thenRunAsync(() -> vmmExited(vm.id()), task -> Thread.ofVirtual().start(task));
    }

    private void vmmExited(String vmId) {
        try {
            locks.with(vmId, () -> {
                store.findById(vmId).ifPresent(vm -> {
                    if (vm.state() == VmState.RUNNING && !liveness.vmAlive(vm)) {
                        releaseHandles(vm);
                        String why = "the VM's " + vmms.of(vm).displayName()
                                + " exited (the guest powered off, or the process was killed)" + consoleTail(vm);
                        transitions.move(vm, VmState.STOPPED, why);
                        LOG.warning("VM " + vm.name() + " stopped by itself: " + why);
                    }
                });
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warning("after VM " + vmId + "'s VMM exited: " + e);
        }
    }

    Optional<Long> vmmPid(VmRecord vm) {
        return liveness.runningPid(vm);
    }

    /** Stops the VMM (if any) and detaches the VM from the host; used by stop, delete --force and reconcile. */
    void tearDown(VmRecord vm, boolean force) {
        Optional<Long> pid = liveness.runningPid(vm);
        Vmm vmm = vmms.of(vm);
        if (pid.isPresent()) {
            if (force) {
                vmm.kill(pid.get());
            } else if (!vmm.stop(vm, pid.get(), STOP_GRACE)) {
                LOG.warning("VM " + vm.name() + " did not power off within " + STOP_GRACE.toSeconds() + " s and was killed");
            }
        }
        CrashPoint.STOP_AFTER_VMM.reach();
        releaseHandles(vm);
        CrashPoint.STOP_AFTER_TAP.reach();
    }

    /**
     * Releases what a VMM that is no longer running left attached: the tap (named by its handles, which
     * rediscovery fills in even when the scratch file is gone), the root's devices (Firecracker), then the
     * scratch file itself.
     */
    void releaseHandles(VmRecord vm) {
        VmHandles left = liveness.rediscoverHandles(vm);
        network.deleteTap(left.tap() != null ? left.tap() : InterfaceNames.tapFor(vm.id()));
        vmms.of(vm).releaseRoot(vm, left);
        if (!vm.mounts().isEmpty() || !left.parts().isEmpty()) {
            mounts.release(vm.id()); // virtiofsd exits with its QEMU; its bind mount stays until released here
        }
        handles.remove(vm);
    }

    /** Releases the mounts of every VM not in {@code running} (reconcile); a summary, "" when nothing was found. */
    String sweepMounts(java.util.Set<String> running) {
        return mounts.sweep(running);
    }

    /** What the guest learns about itself: from its config drive at boot, from the agent after a restore. */
    private GuestConfig guestConfig(VmRecord vm) {
        Path vmDir = Path.of(vm.runtime().vmDir());
        SshKeys.KeyPair client = SshKeys.clientKey(paths.sshDir());
        Path hostKey = VmFile.HOST_KEY.in(vmDir);
        // The host key is made once per VM and kept, so the pinned key survives restarts.
        SshKeys.KeyPair host;
        try {
            host = Files.exists(hostKey) ? new SshKeys.KeyPair(hostKey, Files.readString(hostKey),
                    Files.readString(VmFile.HOST_KEY_PUB.in(vmDir)).strip()) : SshKeys.hostKey(hostKey, vm.spec().name());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read the VM's host key: " + e.getMessage(), e);
        }
        return new GuestConfig(vm.id(), vm.spec().name(), VmNetwork.mac(vm.id()),
                vm.runtime().guestIp() + "/" + network.subnet().prefix(), network.gateway(), network.gateway(), true,
                AgentTokens.ensure(vmDir), client.publicLine(), host.privateText(), host.publicLine(), guestMounts(vm));
    }

    /** The mounts as the guest's apply-config mounts them: tag, directory, read-only or not. */
    private static List<GuestConfig.Mount> guestMounts(VmRecord vm) {
        List<GuestConfig.Mount> out = new ArrayList<>();
        for (int i = 0; i < vm.mounts().size(); i++) {
            out.add(new GuestConfig.Mount(dev.banger.core.mount.MountRules.tag(i), vm.mounts().get(i).guestDir(), vm.mounts().get(i).readOnly()));
        }
        return out;
    }

    private Path writeConfigDrive(VmRecord vm, GuestConfig config) {
        Path vmDir = Path.of(vm.runtime().vmDir());
        try {
            AtomicFiles.write(VmFile.KNOWN_HOSTS.in(vmDir), config.knownHostsLine(vm.runtime().dnsName()));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot write the VM's known_hosts: " + e.getMessage(), e);
        }
        Path drive = VmFile.CONFIG_DRIVE.in(vmDir);
        ConfigDrive.write(drive, config.files());
        return drive;
    }

    private String consoleTail(VmRecord vm) {
        try {
            List<String> lines = Files.readAllLines(Path.of(vm.runtime().logPath()), StandardCharsets.ISO_8859_1);
            List<String> tail = lines.subList(Math.max(0, lines.size() - CONSOLE_TAIL_LINES), lines.size());
            // Guest text: keep it printable.
            return "\nlast console lines (" + vm.runtime().logPath() + "):\n  " + String.join("\n  ",
                    tail.stream().map(l -> l.replaceAll("[^\\x20-\\x7e]", "?")).toList());
        } catch (IOException e) {
            return "";
        }
    }

    /** The first of the VMM's kernels the image has (a PVH vmlinux only when its entry note is there). */
    private static Path kernel(Path dir, ImageManifest m, Vmm vmm) {
        List<String> wanted = new ArrayList<>();
        for (KernelKind kind : vmm.kernels()) {
            ImageManifest.FileEntry f = m.file(kind.manifestRole());
            Path file = f == null ? null : dir.resolve(f.path());
            if (file != null && (kind != KernelKind.PVH_VMLINUX || KernelFiles.hasPvhEntry(file))) {
                return file;
            }
            wanted.add(kind.description());
        }
        throw new BangerException(ErrorCode.FAILED_PRECONDITION, "image " + m.name() + " has no kernel " + vmm.displayName()
                + " boots: it needs " + String.join(" or ", wanted));
    }

    private static Path imageFile(Path dir, ImageManifest m, String role, String what) {
        ImageManifest.FileEntry f = m.file(role);
        if (f == null) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "image " + m.name() + " has no " + what);
        }
        return dir.resolve(f.path());
    }

    private VmRecord reload(VmRecord vm) {
        return store.findById(vm.id()).orElseThrow(() -> new BangerException(ErrorCode.CANCELLED,
                "VM '" + vm.name() + "' was deleted while this operation was under way"));
    }

    /** What one start has attached so far, written through to the VM's scratch file as each piece appears. */
    private final class Attached implements Consumer<VmHandles> {
        private final VmRecord vm;
        private VmHandles now = VmHandles.NONE;

        Attached(VmRecord vm) {
            this.vm = vm;
        }

        @Override
        public void accept(VmHandles h) {
            now = h;
            handles.put(vm, h);
        }

        VmHandles now() {
            return now;
        }
    }

    /** Progress of one start: a notification per step (numbered from {@link StartStep}), and heartbeats while waiting. */
    private static final class Progress {
        private static final int STEPS = StartStep.values().length;
        private final Call call;
        private final Instant started;
        private StartStep step = StartStep.IMAGE;
        private String message = "";

        Progress(Call call, Instant started) {
            this.call = call;
            this.started = started;
        }

        Duration elapsed() {
            return Duration.between(started, Instant.now());
        }

        void report(StartStep step, String message) {
            this.step = step;
            this.message = message;
            heartbeat();
        }

        /** A warning, sent on its own; the step stays what it was. */
        void warn(String text) {
            call.progress(new Params.Progress(Params.Progress.WARNING, step.ordinal() + 1, STEPS, null, elapsed().toMillis(), text));
        }

        void heartbeat() {
            call.progress(new Params.Progress(step.wireName(), step.ordinal() + 1, STEPS, null, elapsed().toMillis(), message));
        }
    }
}
