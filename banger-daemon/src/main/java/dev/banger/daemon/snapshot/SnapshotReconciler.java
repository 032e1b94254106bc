package dev.banger.daemon.snapshot;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.StatePaths;
import dev.banger.core.VmIds;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Makes snapshots and the host agree at daemon start, after the VMs' reconcile and before serving. A snapshot still
 * {@code taking} was cut short by the daemon's end: its source VM is resumed if it was left paused, what the
 * operation made is removed (a fork's children, a template's VM), then its row and files. A template taken whole
 * keeps its row, but its dedicated VM, if the daemon died before deleting it, goes. A fork's layer no VM lies over
 * any more goes too, and so does a pause whose VM is gone or runs, and a directory under {@code snapshots/} that no row names is removed: banger alone
 * writes there, and without its row (what a restore needs) it can never be used.
 */
public final class SnapshotReconciler {
    private static final Logger LOG = Logger.getLogger(SnapshotReconciler.class.getName());
    private static final Duration QMP = Duration.ofSeconds(10);

    private final SnapshotService snapshots;
    private final VmStore vmStore;
    private final Vmms vmms;
    private final StatePaths paths;

    public SnapshotReconciler(SnapshotService snapshots, VmStore vmStore, Vmms vmms, StatePaths paths) {
        this.snapshots = snapshots;
        this.vmStore = vmStore;
        this.vmms = vmms;
        this.paths = paths;
    }

    /** What was undone and removed, for the daemon's log and status. */
    public String reconcile() {
        List<String> undone = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (SnapshotRecord s : snapshots.store().list()) {
            try {
                if (s.state().equals(SnapshotRecord.TAKING)) {
                    undo(s);
                    undone.add(s.name());
                } else if (s.kind().equals(SnapshotRecord.TEMPLATE) && vmStore.findById(s.sourceVmId()).isPresent()) {
                    deleteVm(s.sourceVmId()); // a template taken whole, whose dedicated VM the daemon did not live to delete
                    removed.add(s.sourceVm());
                } else if (s.kind().equals(SnapshotRecord.PAUSE) && !stillPaused(s)) {
                    removed.add(s.name());
                } else if (s.kind().equals(SnapshotRecord.FORK) && snapshots.store().deleteUnused(s.id())) {
                    snapshots.removeFiles(s.dir());
                    removed.add(s.name());
                }
            } catch (RuntimeException e) {
                LOG.warning("reconciling snapshot " + s.name() + ": " + e.getMessage());
            }
        }
        List<String> orphans = sweepOrphanDirectories();
        String summary = "snapshots: " + snapshots.store().list().size() + (undone.isEmpty() ? "" : ", unfinished undone " + undone)
                + (removed.isEmpty() ? "" : ", unused fork layers and finished templates' VMs removed " + removed)
                + (orphans.isEmpty() ? "" : ", directories without a snapshot removed " + orphans);
        LOG.info(summary);
        return summary;
    }

    private void undo(SnapshotRecord s) {
        if (s.kind().equals(SnapshotRecord.TEMPLATE)) {
            deleteVm(s.sourceVmId()); // the template's own VM, never a user's
        } else {
            vmStore.findById(s.sourceVmId()).filter(vm -> vm.state() == VmState.RUNNING).ifPresent(this::resumeIfPaused);
        }
        for (String child : vmStore.namesFromSnapshot(s.id())) {
            deleteVm(child); // a fork's children, made over a snapshot that was never finished
        }
        snapshots.discard(s);
        LOG.warning("snapshot " + s.name() + " (" + s.kind() + ") was being taken when bangerd ended: undone");
    }

    /**
     * Whether a ready pause still holds a paused VM (one stopped, to be resumed by its next start). Else it goes: its VM
     * is gone, or runs (the daemon ended between the save and the VMM's kill, or between a resume and the pause's
     * removal): that VM is resumed if its guest was left paused.
     */
    private boolean stillPaused(SnapshotRecord s) {
        var vm = vmStore.findById(s.sourceVmId());
        if (vm.isPresent() && vm.get().state() != VmState.RUNNING) {
            return true;
        }
        vm.ifPresent(this::resumeIfPaused);
        snapshots.discard(s);
        LOG.warning("pause " + s.name() + " no longer holds a paused VM" + (vm.isPresent() ? " (VM " + vm.get().name() + " runs)" : "")
                + ": removed");
        return false;
    }

    private void resumeIfPaused(VmRecord vm) {
        try {
            if (vmms.of(vm).paused(vm, QMP)) {
                vmms.of(vm).resume(vm, QMP);
                LOG.warning("VM " + vm.name() + " was left paused by a snapshot cut short: resumed");
            }
        } catch (RuntimeException e) {
            LOG.warning("cannot resume VM " + vm.name() + " after a snapshot cut short: " + e.getMessage());
        }
    }

    private void deleteVm(String ref) {
        try {
            snapshots.vms().delete(ref, true);
        } catch (BangerException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    private List<String> sweepOrphanDirectories() {
        List<String> removed = new ArrayList<>();
        Path dir = paths.snapshotsDir();
        if (!Files.isDirectory(dir)) {
            return removed;
        }
        Set<String> ids = new HashSet<>();
        snapshots.store().list().forEach(s -> ids.add(s.id()));
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                if (VmIds.looksLikeId(name) && !ids.contains(name)) {
                    snapshots.removeFiles(p.toString());
                    removed.add(name);
                }
            }
        } catch (IOException e) {
            LOG.warning("listing " + dir + ": " + e.getMessage());
        }
        return removed;
    }
}
