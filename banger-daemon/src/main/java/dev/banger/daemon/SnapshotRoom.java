package dev.banger.daemon;

import dev.banger.daemon.snapshot.SnapshotService;
import dev.banger.daemon.snapshot.SnapshotVms;
import dev.banger.daemon.snapshot.Templates;

/** The snapshot room's services, as the dispatcher uses them. */
record SnapshotRoom(SnapshotService service, Templates templates, SnapshotVms vms) {
}
