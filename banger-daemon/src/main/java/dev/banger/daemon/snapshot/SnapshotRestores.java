package dev.banger.daemon.snapshot;

import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.core.snapshot.SnapshotNeeds;
import dev.banger.daemon.vm.Restores;
import dev.banger.store.SnapshotStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which starts resume a snapshot: a VM made over one ({@code from_snapshot}) whose root disk does not exist yet,
 * i.e. its first start (or the first after a restore that did not finish, which removes the disks it made). Later
 * starts boot its own disks, which lie over the snapshot's.
 */
public final class SnapshotRestores implements Restores.Source {
    private final SnapshotStore snapshots;

    public SnapshotRestores(SnapshotStore snapshots) {
        this.snapshots = snapshots;
    }

    @Override
    public Optional<Restores.Pending> pending(VmRecord vm) {
        String from = vm.runtime().fromSnapshot();
        if (from == null || Files.exists(Path.of(vm.runtime().systemOverlay()), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return snapshots.findById(from).map(SnapshotRestores::pending);
    }

    private static Restores.Pending pending(SnapshotRecord s) {
        return new Restores.Pending(s.name(), Path.of(s.dir()), SnapshotNeeds.of(s));
    }
}
