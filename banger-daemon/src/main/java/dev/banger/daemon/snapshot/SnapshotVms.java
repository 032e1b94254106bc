package dev.banger.daemon.snapshot;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.core.snapshot.SnapshotRules;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vm.CrashPoint;
import dev.banger.host.disk.Disks;
import dev.banger.store.VmStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * New VMs over snapshots: {@code vm create --from SNAP}, a create whose spec matches its image's template (instant
 * {@code vm run}), and {@code vm fork}: a snapshot of a running VM that N new VMs resume at once. Such a VM is made
 * like any other; its first start resumes the snapshot instead of booting (see {@link SnapshotRestores}).
 */
public final class SnapshotVms {
    private static final Logger LOG = Logger.getLogger(SnapshotVms.class.getName());

    private final SnapshotService snapshots;
    private final Templates templates;
    private final VmStore vmStore;
    private final Clock clock;
    private final RandomGenerator random;

    public SnapshotVms(SnapshotService snapshots, Templates templates, VmStore vmStore, Clock clock, RandomGenerator random) {
        this.snapshots = snapshots;
        this.templates = templates;
        this.vmStore = vmStore;
        this.clock = clock;
        this.random = random;
    }

    /** {@code vm.create} without a caller (internal creates, which never mount): as root. */
    public VmRecord create(Params.VmCreate request) {
        return create(request, (dev.banger.daemon.rpc.Caller) null);
    }

    /** The {@code vm.create} RPC: the caller's credentials decide which directories it may mount. */
    public VmRecord create(Params.VmCreate request, Call call) {
        return create(request, call.caller());
    }

    /**
     * {@code vm.create}: over the snapshot asked for, else over the matching template (unless cold), else over the image.
     * A VM with mounts always boots: a saved state has no virtiofs devices.
     */
    private VmRecord create(Params.VmCreate request, dev.banger.daemon.rpc.Caller caller) {
        if (!request.mounts().isEmpty()) {
            if (request.from() != null) {
                throw BangerException.invalid("--from " + request.from() + " cannot take --mount: the snapshot's saved state has no "
                        + "shared directories (a VM with mounts boots; leave out --from, or the mounts)");
            }
            return snapshots.vms().create(request, caller);
        }
        if (request.from() != null) {
            return snapshots.withDependentsLocked(() -> {
                SnapshotRecord s = snapshots.find(request.from());
                if (!s.state().equals(SnapshotRecord.READY)) {
                    throw new BangerException(ErrorCode.FAILED_PRECONDITION, "snapshot " + s.name() + " is still being taken; try again when it is done");
                }
                if (s.kind().equals(SnapshotRecord.PAUSE)) {
                    throw BangerException.invalid("snapshot " + s.name() + " is the pause of VM " + s.sourceVm() + ", which it resumes "
                            + "in place ('banger vm start " + s.sourceVm() + "'); it holds no disks for a new VM");
                }
                return snapshots.vms().create(over(s, request), s.id(), null);
            });
        }
        if (!request.forcedCold()) {
            Optional<SnapshotRecord> template = Optional.empty();
            try {
                template = templates.match(request);
            } catch (BangerException e) {
                if (e.code() == ErrorCode.INVALID_ARGUMENT || e.code() == ErrorCode.NOT_FOUND) {
                    throw e; // the plain create says the same, and nothing is made either way
                }
                LOG.warning("looking for a template for " + request.image() + ": " + e.getMessage() + "; booting cold");
            }
            if (template.isPresent()) {
                SnapshotRecord t = template.get();
                return snapshots.withDependentsLocked(() -> snapshots.store().findById(t.id()).isPresent()
                        ? snapshots.vms().create(over(t, request), t.id(), null) : snapshots.vms().create(request));
            }
        }
        return snapshots.vms().create(request);
    }

    /**
     * The request with the snapshot's spec: a saved state resumes with the vCPUs, memory, disks and VMM it was taken
     * with, so a request that asks for others is refused, naming each.
     */
    static Params.VmCreate over(SnapshotRecord s, Params.VmCreate request) {
        List<String> differ = new ArrayList<>();
        differ(differ, "--image", request.image(), s.image());
        differ(differ, "--cpus", request.vcpus(), s.vcpus());
        differ(differ, "--memory", request.memoryMib() == null ? null : request.memoryMib() + "M", s.memoryMib() + "M");
        differ(differ, "--root-disk", request.rootDiskMib() == null ? null : request.rootDiskMib() + "M", s.rootDiskMib() + "M");
        differ(differ, "--work-disk", request.workDiskMib() == null ? null : request.workDiskMib() + "M", s.workDiskMib() + "M");
        differ(differ, "--vmm", request.vmm(), s.vmm());
        if (!differ.isEmpty()) {
            throw BangerException.invalid("snapshot " + s.name() + " resumes with the spec it was taken with, and " + String.join(", ", differ)
                    + ": leave those options out");
        }
        if (!request.mounts().isEmpty()) {
            throw BangerException.invalid("snapshot " + s.name() + " cannot take --mount: its saved state has no shared directories");
        }
        // Published ports are the new VM's own (host side only): kept. Mounts were refused above.
        return new Params.VmCreate(request.name(), s.image(), s.vcpus(), s.memoryMib(), s.rootDiskMib(), s.workDiskMib(), s.vmm(),
                null, null, request.publish(), null);
    }

    private static void differ(List<String> out, String option, Object asked, Object taken) {
        if (asked != null && !Objects.equals(asked, taken)) {
            out.add(option + " " + asked + " is not its " + taken);
        }
    }

    /**
     * {@code vm.fork}: the parent is snapshotted (paused briefly), then {@code count} children are made over that
     * snapshot and resumed in parallel, each re-identified before it counts as running. All or nothing: when any child
     * fails, every child and the snapshot are removed. The snapshot stays {@code taking} until all children run, so a
     * daemon killed mid-fork leaves reconcile to remove both ({@link SnapshotReconciler}).
     */
    public Params.VmForked fork(Params.VmFork request, Call call) {
        long t0 = System.nanoTime();
        VmRecord parent = snapshots.vms().getRunning(request.vm());
        SnapshotService.refuseMounts(parent, "forked");
        int count = request.count() == null ? 1 : request.count();
        String prefix = request.name() != null ? request.name() : parent.name();
        List<String> names = SnapshotRules.forkNames(prefix, count);
        for (String name : names) {
            if (vmStore.findByName(name).isPresent()) {
                throw new BangerException(ErrorCode.NAME_TAKEN, "name taken: a VM named '" + name + "' already exists; give the children "
                        + "another prefix with --name");
            }
        }
        long workDisk = Disks.diskUsage(Path.of(parent.runtime().workDiskPath()));
        snapshots.checkSpace(parent, "a fork of " + parent.name() + " into " + count, count * workDisk);
        String token = HexFormat.of().toHexDigits(random.nextInt() & 0xffff, 4);
        SnapshotRecord snap = snapshots.begin(parent, SnapshotRules.defaultName(parent.name() + "-fork", clock.instant()) + "-" + token,
                SnapshotRecord.FORK, null, parent.id(), parent.name());
        snap = snapshots.capture(parent, snap, false);
        CrashPoint.FORK_AFTER_SNAPSHOT.reach();
        List<VmRecord> children = new ArrayList<>();
        try {
            for (String name : names) {
                SnapshotRecord s = snap;
                children.add(snapshots.vms().create(over(s, new Params.VmCreate(name, null, null, null, null, null, null)), s.id(), null));
            }
            CrashPoint.FORK_AFTER_CHILDREN.reach();
            List<VmRecord> running = startAll(children, call);
            snapshots.store().markReady(snap.id(), snap.sizeBytes(), snap.stateBytes(), snap.pausedMs());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            LOG.info("forked VM " + parent.name() + " into " + names + " in " + ms + " ms (parent paused " + snap.pausedMs() + " ms)");
            return new Params.VmForked(parent.name(), snap.name(), running, snap.pausedMs(), ms);
        } catch (RuntimeException e) {
            for (VmRecord child : children) {
                try {
                    snapshots.vms().delete(child.id(), true);
                } catch (RuntimeException undo) {
                    LOG.warning("removing fork child " + child.name() + " after a failed fork: " + undo.getMessage());
                }
            }
            snapshots.discard(snap);
            throw new BangerException(e instanceof BangerException be ? be.code() : ErrorCode.INTERNAL,
                    "cannot fork VM " + parent.name() + " (nothing was kept; the parent runs on): " + e.getMessage(), e);
        }
    }

    /** Resumes every child at once (each start waits for its own guest); the first failure, after all have ended. */
    private List<VmRecord> startAll(List<VmRecord> children, Call shared) {
        // One connection's notifications, from several starts at once: one at a time.
        Call call = new Call() {
            @Override
            public synchronized void progress(Params.Progress progress) {
                shared.progress(progress);
            }

            @Override
            public boolean cancelled() {
                return shared.cancelled();
            }

            @Override
            public dev.banger.daemon.rpc.Caller caller() {
                return shared.caller();
            }
        };
        List<Thread> threads = new ArrayList<>();
        VmRecord[] started = new VmRecord[children.size()];
        RuntimeException[] failed = new RuntimeException[children.size()];
        AtomicBoolean first = new AtomicBoolean(true);
        for (int i = 0; i < children.size(); i++) {
            int n = i;
            threads.add(Thread.ofVirtual().name("fork-" + children.get(n).name()).start(() -> {
                try {
                    started[n] = snapshots.vms().start(children.get(n).id(), call);
                    if (first.getAndSet(false)) {
                        CrashPoint.FORK_AFTER_FIRST_CHILD.reach();
                    }
                } catch (RuntimeException e) {
                    failed[n] = e;
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.CANCELLED, "interrupted while the fork's children resumed");
            }
        }
        for (RuntimeException e : failed) {
            if (e != null) {
                throw e;
            }
        }
        return List.of(started);
    }
}
