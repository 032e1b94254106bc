package dev.banger.daemon.snapshot;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.Text;
import dev.banger.core.VmIds;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.core.snapshot.SnapshotRules;
import dev.banger.daemon.vm.CrashPoint;
import dev.banger.daemon.vm.VmLocks;
import dev.banger.daemon.vm.VmPower;
import dev.banger.daemon.vm.VmService;
import dev.banger.daemon.vmm.Capability;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.core.StatePaths;
import dev.banger.host.SafeDelete;
import dev.banger.host.disk.Disks;
import dev.banger.store.SnapshotStore;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * Snapshots: taking one of a running VM (the guest paused while its memory, devices and disks are saved, then
 * resumed), listing, showing and removing them. A snapshot is a row (its needs, its sizes) and a directory under
 * {@code snapshots/}: the driver's state and root files and a copy of the work disk. Every take is all or nothing:
 * the row is {@code taking} until the files are whole, a failure removes both and resumes the VM, and a daemon
 * killed meanwhile is undone by {@link SnapshotReconciler}.
 */
public final class SnapshotService {
    private static final Logger LOG = Logger.getLogger(SnapshotService.class.getName());
    static final Duration SAVE_TIMEOUT = Duration.ofMinutes(5);
    static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);
    /** Device state beyond the memory: a few MiB in practice; anything near this is not the VM banger started. */
    private static final long DEVICE_STATE_ALLOWANCE = 256L << 20;

    private final SnapshotStore snapshots;
    private final VmStore vmStore;
    private final VmService vms;
    private final VmLocks locks;
    private final Vmms vmms;
    private final StatePaths paths;
    private final Clock clock;
    private final RandomGenerator random;
    /** Makes a VM's creation over a snapshot and a snapshot's removal exclusive: no VM comes to lie over a removed one. */
    private final ReentrantLock dependents = new ReentrantLock();

    /** Run on a VM just before its snapshot, the guest still running: the daemon's has its agent warm its identity path. */
    private final java.util.function.Consumer<VmRecord> prepare;

    public SnapshotService(SnapshotStore snapshots, VmStore vmStore, VmService vms, VmLocks locks, Vmms vmms, StatePaths paths, Clock clock,
                           RandomGenerator random, java.util.function.Consumer<VmRecord> prepare) {
        this.prepare = prepare;
        this.snapshots = snapshots;
        this.vmStore = vmStore;
        this.vms = vms;
        this.locks = locks;
        this.vmms = vmms;
        this.paths = paths;
        this.clock = clock;
        this.random = random;
    }

    /** {@code vm.snapshot}: a user's snapshot of a running VM. */
    public SnapshotRecord snapshot(Params.VmSnapshot request) {
        VmRecord vm = vms.getRunning(request.vm());
        refuseMounts(vm, "snapshotted");
        String name = request.name() != null ? SnapshotRules.validateName(request.name())
                : SnapshotRules.defaultName(vm.name(), clock.instant());
        SnapshotRecord taking = begin(vm, name, SnapshotRecord.USER, null, vm.id(), vm.name());
        return capture(vm, taking, true);
    }

    /**
     * E2B's pause: {@code vm}'s memory and devices are saved (a snapshot of kind {@code pause}), then its VMM is killed
     * with the guest still paused, so the VM is stopped and uses no CPU or memory. Its disks stay its own: nothing writes
     * them after the save, so they are the saved guest's, and its next start resumes that state over them once
     * ({@link SnapshotRestores}), with its processes. All or nothing: a failure resumes the guest and keeps no snapshot;
     * a daemon killed meanwhile is undone by {@link SnapshotReconciler}.
     */
    public SnapshotRecord pause(String ref) {
        VmRecord vm = vms.getRunning(ref);
        refuseMounts(vm, "paused");
        String token = java.util.HexFormat.of().toHexDigits(random.nextInt() & 0xffff, 4);
        SnapshotRecord taking = begin(vm, SnapshotRules.defaultName(vm.name() + "-pause", clock.instant()) + "-" + token,
                SnapshotRecord.PAUSE, null, vm.id(), vm.name());
        return capture(vm, taking, true, true);
    }

    /**
     * A VM with host directory mounts has vhost-user devices (virtiofsd holds part of its state, and QEMU refuses to
     * migrate them): it can be neither snapshotted nor forked.
     */
    static void refuseMounts(VmRecord vm, String what) {
        if (!vm.mounts().isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM " + vm.name() + " has host directory mounts ("
                    + String.join(", ", vm.mounts().stream().map(m -> m.spec()).toList()) + ") and cannot be " + what
                    + ": their virtiofs devices cannot be saved (vhost-user blocks migration); make a VM without --mount for that");
        }
    }

    /**
     * The row of a snapshot about to be taken of {@code vm} ({@code taking}; the name checked unique by the insert),
     * after the checks that need nothing attached: the driver can snapshot, and the disk can hold it.
     */
    SnapshotRecord begin(VmRecord vm, String name, String kind, String templateKey, String sourceId, String sourceName) {
        Vmm vmm = vmms.require(vm, Capability.SNAPSHOT);
        SnapshotNeeds needs = vmm.snapshotNeeds(vm.spec());
        checkSpace(vm, "a snapshot of VM " + vm.name(), 0);
        String id = freshId();
        SnapshotRecord s = new SnapshotRecord(id, name, kind, SnapshotRecord.TAKING, sourceId, sourceName, vm.spec().image(),
                needs.vmmId(), needs.vmmVersion(), needs.machine(), needs.accelerator(), vm.spec().vcpus(), vm.spec().memoryMib(),
                vm.spec().rootDiskMib(), vm.spec().workDiskMib(), templateKey, paths.snapshotDir(id).toString(), 0, 0, 0,
                clock.instant(), List.of());
        snapshots.insert(s);
        CrashPoint.SNAPSHOT_AFTER_INSERT.reach();
        return s;
    }

    /** The row of a template about to be made: its VM does not exist yet, so the space check counts its memory alone. */
    SnapshotRecord beginTemplate(Templates.Plan plan, String name, String vmId, String vmName) {
        checkFree("a template of image " + plan.image(), SnapshotRules.bytesNeeded(plan.spec().memoryMib(), 0));
        String id = freshId();
        SnapshotRecord s = new SnapshotRecord(id, name, SnapshotRecord.TEMPLATE, SnapshotRecord.TAKING, vmId, vmName, plan.image(),
                plan.needs().vmmId(), plan.needs().vmmVersion(), plan.needs().machine(), plan.needs().accelerator(), plan.spec().vcpus(),
                plan.spec().memoryMib(), plan.spec().rootDiskMib(), plan.spec().workDiskMib(), plan.key(), paths.snapshotDir(id).toString(),
                0, 0, 0, clock.instant(), List.of());
        snapshots.insert(s);
        return s;
    }

    /** Refuses, with the numbers, when the state filesystem cannot hold a snapshot of {@code vm} and {@code extraBytes}. */
    void checkSpace(VmRecord vm, String what, long extraBytes) {
        // The VM's directory as a whole: its disks whatever the driver names them (QEMU's overlay, Firecracker's copy
        // or COW store), and a little more (logs, sockets): an upper bound of what the copies take.
        long disks = Disks.diskUsage(Path.of(vm.runtime().vmDir()));
        checkFree(what, SnapshotRules.bytesNeeded(vm.spec().memoryMib(), disks) + extraBytes);
    }

    private void checkFree(String what, long needed) {
        long free;
        try {
            Files.createDirectories(paths.snapshotsDir());
            free = Files.getFileStore(paths.snapshotsDir()).getUsableSpace();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot tell the free space of " + paths.snapshotsDir() + ": " + e.getMessage(), e);
        }
        SnapshotRules.checkSpace(what, needed, free, paths.snapshotsDir().toString());
    }

    /**
     * Saves {@code vm} into {@code taking}'s directory under the VM's lock: the driver pauses the guest and saves its
     * state and root, the work disk is copied, the guest resumes. {@code markReady} false leaves the row
     * {@code taking} (a fork marks it once its children run). A failure resumes the guest and leaves nothing.
     */
    SnapshotRecord capture(VmRecord vm, SnapshotRecord taking, boolean markReady) {
        return capture(vm, taking, markReady, false);
    }

    /**
     * {@code pause}: the guest is not resumed; once the state is whole (the row ready), the VMM is killed and the VM
     * stopped. The work disk is not copied: a paused VM keeps its own.
     */
    private SnapshotRecord capture(VmRecord vm, SnapshotRecord taking, boolean markReady, boolean pause) {
        return locks.with(vm.id(), () -> {
            Vmm vmm = null;
            VmRecord now = null;
            Path dir = Path.of(taking.dir());
            try {
                now = vmStore.findById(vm.id()).filter(v -> v.state() == VmState.RUNNING).orElseThrow(() -> new BangerException(
                        ErrorCode.FAILED_PRECONDITION, "VM " + vm.name() + " stopped or went away before its snapshot was taken"));
                vmm = vmms.require(now, Capability.SNAPSHOT);
                prepare.accept(now);
                makeDirectory(dir);
                long t0 = System.nanoTime();
                Vmm.SavedState saved = vmm.saveState(now, dir, ((long) now.spec().memoryMib() << 20) + DEVICE_STATE_ALLOWANCE, SAVE_TIMEOUT);
                CrashPoint.SNAPSHOT_AFTER_SAVE.reach();
                if (!pause) {
                    Disks.copySparse(Path.of(now.runtime().workDiskPath()), dir.resolve(VmPower.SNAPSHOT_WORK_DISK));
                    vmm.resume(now, RESUME_TIMEOUT);
                }
                long pausedMs = (System.nanoTime() - t0) / 1_000_000;
                CrashPoint.SNAPSHOT_AFTER_RESUME.reach();
                long size = Disks.diskUsage(dir);
                if (markReady) {
                    snapshots.markReady(taking.id(), size, saved.bytes(), pausedMs);
                }
                LOG.info("snapshot " + taking.name() + " of VM " + vm.name() + ": " + (size >> 20) + " MiB on disk (state "
                        + (saved.bytes() >> 20) + " MiB), the guest paused " + pausedMs + " ms");
                if (pause) {
                    // The guest is still paused: killing its VMM now loses nothing the state does not hold.
                    vms.stop(now.id(), true);
                    LOG.info("VM " + vm.name() + " paused into snapshot " + taking.name() + ": its VMM is stopped");
                }
                return markReady ? taking.ready(size, saved.bytes(), pausedMs) : taking.measured(size, saved.bytes(), pausedMs);
            } catch (RuntimeException e) {
                if (vmm != null) {
                    resumeQuietly(vmm, now);
                }
                discard(taking);
                throw e;
            }
        });
    }

    private static void resumeQuietly(Vmm vmm, VmRecord vm) {
        try {
            vmm.resume(vm, RESUME_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.warning("VM " + vm.name() + " may still be paused after a failed snapshot: " + e.getMessage());
        }
    }

    /** Removes a snapshot's row, then its files (a daemon killed between the two leaves a directory reconcile sweeps). */
    void discard(SnapshotRecord s) {
        try {
            snapshots.delete(s.id());
        } catch (RuntimeException e) {
            LOG.warning("cannot remove snapshot " + s.name() + "'s row: " + e.getMessage());
        }
        removeFiles(s.dir());
    }

    void removeFiles(String dir) {
        removeFiles(paths, dir);
    }

    /** Removes a snapshot's directory, only when it is one: a directory under this home's {@code snapshots/}. */
    static void removeFiles(StatePaths paths, String dir) {
        Path p = Path.of(dir);
        if (!p.startsWith(paths.snapshotsDir()) || p.equals(paths.snapshotsDir())) {
            LOG.warning("not removing " + dir + ": not a snapshot directory of this home");
            return;
        }
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            SafeDelete.tree(p);
        }
    }

    private static void makeDirectory(Path dir) {
        try {
            Files.createDirectories(dir.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot create the snapshot directory " + dir + ": " + e.getMessage(), e);
        }
    }

    public Params.SnapshotList list() {
        return new Params.SnapshotList(snapshots.list().stream().map(this::withUsers).toList());
    }

    public SnapshotRecord get(String ref) {
        return withUsers(find(ref));
    }

    SnapshotRecord find(String ref) {
        if (ref == null || ref.isBlank()) {
            throw BangerException.invalid("name the snapshot: give its name or id ('banger snapshot list' shows them)");
        }
        Optional<SnapshotRecord> byId = SnapshotRules.looksLikeId(ref) ? snapshots.findById(ref) : Optional.empty();
        return byId.or(() -> snapshots.findByName(ref)).orElseThrow(() -> BangerException.notFound(
                "no snapshot named '" + Text.printable(ref, 70) + "' ('banger snapshot list' shows the snapshots)"));
    }

    private SnapshotRecord withUsers(SnapshotRecord s) {
        return s.withUsedBy(vmStore.namesFromSnapshot(s.id()));
    }

    /** {@code snapshot.delete}: refused while it is being taken or a VM's disks lie over it, naming them. */
    public Params.SnapshotDeleted delete(String ref) {
        dependents.lock();
        try {
            SnapshotRecord s = find(ref);
            if (s.state().equals(SnapshotRecord.TAKING)) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "snapshot " + s.name() + " is still being taken; try again when it is done");
            }
            List<String> users = vmStore.namesFromSnapshot(s.id());
            if (!users.isEmpty() || !snapshots.deleteUnused(s.id())) {
                throw inUse(s, users.isEmpty() ? vmStore.namesFromSnapshot(s.id()) : users);
            }
            removeFiles(s.dir());
            LOG.info("removed snapshot " + s.name() + " (" + s.id() + ")");
            return new Params.SnapshotDeleted(s.id(), s.name(), s.sizeBytes());
        } finally {
            dependents.unlock();
        }
    }

    private static BangerException inUse(SnapshotRecord s, List<String> users) {
        return new BangerException(ErrorCode.FAILED_PRECONDITION, "snapshot " + s.name() + " is in use: the disks of VM"
                + (users.size() > 1 ? "s " : " ") + String.join(", ", users) + " lie over it; delete "
                + (users.size() > 1 ? "them" : "it") + " first ('banger vm delete NAME')");
    }

    /**
     * Before an image's delete: refused while a snapshot's root lies over it, except the image's templates no VM
     * lies over, which are banger's own cache of it and go first.
     */
    public void releaseImage(String image) {
        dependents.lock();
        try {
            List<SnapshotRecord> of = snapshots.list().stream().filter(s -> s.image().equals(image)).toList();
            List<String> over = of.stream().filter(s -> !s.kind().equals(SnapshotRecord.TEMPLATE) || !s.state().equals(SnapshotRecord.READY)
                    || !vmStore.namesFromSnapshot(s.id()).isEmpty()).map(SnapshotRecord::name).toList();
            refuseImageDelete(image, over);
            for (SnapshotRecord t : of) {
                if (snapshots.deleteUnused(t.id())) {
                    removeFiles(t.dir());
                    LOG.info("removed template " + t.name() + " with its image " + image);
                }
            }
        } finally {
            dependents.unlock();
        }
    }

    private static void refuseImageDelete(String image, List<String> over) {
        if (!over.isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "image '" + image + "' is used by snapshot" + (over.size() > 1 ? "s " : " ")
                    + String.join(", ", over) + ": remove " + (over.size() > 1 ? "them" : "it") + " first ('banger snapshot rm NAME')");
        }
    }

    /** Runs {@code create} with no snapshot removal in between (see {@link #dependents}). */
    <T> T withDependentsLocked(java.util.function.Supplier<T> create) {
        dependents.lock();
        try {
            return create.get();
        } finally {
            dependents.unlock();
        }
    }

    /** After a VM is deleted: its pause goes with it, and a fork's layer with the last VM over it. */
    public void vmDeleted(VmRecord vm) {
        snapshots.list().stream().filter(s -> s.kind().equals(SnapshotRecord.PAUSE) && s.sourceVmId().equals(vm.id()))
                .forEach(s -> {
                    discard(s);
                    LOG.info("removed pause " + s.name() + " with its VM, " + vm.name());
                });
        String from = vm.runtime().fromSnapshot();
        if (from == null) {
            return;
        }
        dependents.lock();
        try {
            snapshots.findById(from).filter(s -> s.kind().equals(SnapshotRecord.FORK) && s.state().equals(SnapshotRecord.READY))
                    .filter(s -> snapshots.deleteUnused(s.id()))
                    .ifPresent(s -> {
                        removeFiles(s.dir());
                        LOG.info("removed fork layer " + s.name() + " with its last VM, " + vm.name());
                    });
        } finally {
            dependents.unlock();
        }
    }

    private String freshId() {
        while (true) {
            String id = VmIds.generate(random);
            if (snapshots.findById(id).isEmpty()) {
                return id;
            }
        }
    }

    SnapshotStore store() {
        return snapshots;
    }

    VmService vms() {
        return vms;
    }
}
