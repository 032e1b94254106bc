package dev.banger.daemon.snapshot;

import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.core.StatePaths;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.daemon.vm.Restores;
import dev.banger.store.SnapshotStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Which starts resume a snapshot: a VM made over one ({@code from_snapshot}) whose root disk does not exist yet,
 * i.e. its first start (or the first after a restore that did not finish, which removes the disks it made). Later
 * starts boot its own disks, which lie over the snapshot's. A paused VM (a ready {@code pause} snapshot of it) resumes
 * that state in place, over its own disks, once: the snapshot is removed as soon as a VMM has taken it.
 */
public final class SnapshotRestores implements Restores.Source {
    private static final Logger LOG = Logger.getLogger(SnapshotRestores.class.getName());
    private final SnapshotStore snapshots;
    private final StatePaths paths;

    public SnapshotRestores(SnapshotStore snapshots, StatePaths paths) {
        this.snapshots = snapshots;
        this.paths = paths;
    }

    @Override
    public Optional<Restores.Pending> pending(VmRecord vm) {
        Optional<SnapshotRecord> paused = pauseOf(snapshots, vm.id());
        if (paused.isPresent()) {
            SnapshotRecord s = paused.get();
            return Optional.of(new Restores.Pending(s.name(), Path.of(s.dir()), SnapshotNeeds.of(s), true));
        }
        String from = vm.runtime().fromSnapshot();
        if (from == null || Files.exists(Path.of(vm.runtime().systemOverlay()), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return snapshots.findById(from).map(SnapshotRestores::pending);
    }

    @Override
    public void spent(VmRecord vm, Restores.Pending pending) {
        pauseOf(snapshots, vm.id()).filter(s -> s.name().equals(pending.snapshot())).ifPresent(s -> {
            snapshots.delete(s.id());
            SnapshotService.removeFiles(paths, s.dir());
            LOG.info("VM " + vm.name() + " resumed from its pause " + s.name() + ": removed");
        });
    }

    /** The ready pause of VM {@code vmId}, if it is paused. */
    static Optional<SnapshotRecord> pauseOf(SnapshotStore snapshots, String vmId) {
        return snapshots.list().stream().filter(s -> s.kind().equals(SnapshotRecord.PAUSE) && s.state().equals(SnapshotRecord.READY)
                && s.sourceVmId().equals(vmId)).findFirst();
    }

    private static Restores.Pending pending(SnapshotRecord s) {
        return new Restores.Pending(s.name(), Path.of(s.dir()), SnapshotNeeds.of(s));
    }
}
