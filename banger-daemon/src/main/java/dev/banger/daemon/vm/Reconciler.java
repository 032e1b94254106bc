package dev.banger.daemon.vm;

import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.ReconcileRules;
import dev.banger.core.VmDescriptor;
import dev.banger.core.net.InterfaceNames;
import dev.banger.daemon.net.GuestNetwork;
import dev.banger.host.vm.VmHandles;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Makes the records and the host agree when the daemon starts, before it serves anyone: every VM whose
 * VMM runs is kept (handles seeded, watched), every VM whose VMM should run but does not is released
 * and demoted with the reason, half-done creates are undone and half-done deletes finished. One
 * process-table scan and one tap listing serve all VMs.
 *
 * <p>What reconcile may destroy: only what this database recorded as banger's own unfinished work (a
 * create to undo, a delete or stop to finish) and taps no process holds. A VM directory or a VMM the
 * database does not know is never removed or killed: it is reported ({@code banger daemon status}), and
 * {@code banger daemon recover} adopts what carries a descriptor.
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());

    /** What a reconcile did and found, for the log, {@code daemon status} and tests. */
    public record Report(int vms, int kept, List<String> adopted, List<String> demoted, List<String> undone, List<String> finishedDeletes,
                  List<String> unknownVmms, List<String> orphanTaps, List<String> unknownDirs, long millis) {
        public String summary() {
            return "reconciled " + vms + " VMs in " + millis + " ms: " + kept + " running" + list(", adopted running", adopted)
                    + list(", demoted", demoted) + list(", creates undone", undone) + list(", deletes finished", finishedDeletes)
                    + list(", idle taps removed", orphanTaps)
                    + list(", VMMs this database does not know (left running)", unknownVmms)
                    + list(", VM directories this database does not know (left alone; 'banger daemon recover' adopts them)", unknownDirs);
        }

        private static String list(String label, List<String> items) {
            return items.isEmpty() ? "" : label + " " + items;
        }
    }

    private final VmStore store;
    private final Path vmsDir;
    private final VmService vms;
    private final VmPower power;
    private final VmLiveness liveness;
    private final VmHandleCache handles;
    private final GuestNetwork network;
    private final VmTransitions transitions;

    public Reconciler(VmStore store, Path vmsDir, VmService vms, VmPower power, VmLiveness liveness, VmHandleCache handles,
               GuestNetwork network, VmTransitions transitions) {
        this.store = store;
        this.vmsDir = vmsDir;
        this.vms = vms;
        this.power = power;
        this.liveness = liveness;
        this.handles = handles;
        this.network = network;
        this.transitions = transitions;
    }

    public Report reconcile() {
        long t0 = System.nanoTime();
        List<VmRecord> records = store.list();
        VmLiveness.Scan scan = liveness.scan(records, vmsDir);
        int kept = 0;
        List<String> adopted = new ArrayList<>();
        List<String> demoted = new ArrayList<>();
        List<String> undone = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        List<VmRecord> toStop = new ArrayList<>();
        Set<String> liveTaps = new HashSet<>();
        Set<String> liveVms = new HashSet<>();
        for (VmRecord vm : records) {
            Optional<Long> pid = Optional.ofNullable(scan.running().get(vm.id()));
            try {
                if (vm.state() == VmState.STARTING && VmPower.restoring(vm)) {
                    undoRestore(vm);
                    undone.add(vm.name() + " (an unfinished restore)");
                    continue;
                }
                pid.ifPresent(p -> liveVms.add(vm.id()));
                switch (ReconcileRules.decide(vm.state(), pid.isPresent())) {
                    case KEEP_RUNNING -> {
                        keep(vm, vm.state() == VmState.RUNNING ? vm : transitions.move(vm, VmState.RUNNING, null), pid.get(), liveTaps);
                        kept++;
                    }
                    case ADOPT -> {
                        VmRecord starting = transitions.move(vm, VmState.STARTING, null);
                        keep(vm, transitions.move(starting, VmState.RUNNING, null), pid.get(), liveTaps);
                        LOG.warning("VM " + vm.name() + " was recorded " + vm.state().wireName() + " but its VMM (pid " + pid.get()
                                + ") runs: adopted as running (the record was older than the host, e.g. a database put back)");
                        adopted.add(vm.name());
                        kept++;
                    }
                    case FINISH_STOP -> {
                        handles.seed(vm, liveness.rediscoverHandles(vm, pid));
                        liveTaps.add(InterfaceNames.tapFor(vm.id()));
                        toStop.add(vm);
                    }
                    case DEMOTE -> {
                        long lastPid = handles.load(vm).vmmPid();
                        power.releaseHandles(vm);
                        transitions.move(vm, VmState.STOPPED, ReconcileRules.demotedReason(vm.state(), lastPid));
                        demoted.add(vm.name());
                    }
                    case FORGET_HANDLES -> {
                        if (!handles.load(vm).isEmpty()) {
                            handles.remove(vm);
                        }
                    }
                    case UNDO_CREATE -> {
                        vms.undoCreate(vm);
                        undone.add(vm.name());
                    }
                    case FINISH_DELETE -> {
                        vms.finishDelete(vm);
                        deleted.add(vm.name());
                    }
                }
            } catch (RuntimeException e) {
                // One VM's trouble must not keep the daemon from serving the others.
                LOG.warning("reconciling VM " + vm.name() + " (" + vm.id() + "): " + e.getMessage());
            }
        }
        if (kept > 0 || !toStop.isEmpty()) {
            // Running guests use the gateway's DNS server: bring the bridge's services back now, not at the next start.
            try {
                network.ensure();
            } catch (RuntimeException e) {
                LOG.warning("restoring the bridge, NAT and DNS for running VMs: " + e.getMessage());
            }
        }
        List<String> unknownVmms = new ArrayList<>();
        scan.strays().forEach((pid, socket) -> unknownVmms.add("pid " + pid + " (" + socket + ")"));
        List<String> orphanTaps = sweepIdleTaps(liveTaps);
        List<String> unknownDirs = unknownDirectories();
        backfillDescriptors();
        try {
            // Mounts (virtiofsd, bind mounts) whose VM no longer runs: a VM stopped or deleted while no daemon ran.
            String swept = power.sweepMounts(liveVms);
            if (!swept.isEmpty()) {
                LOG.info(swept);
            }
        } catch (RuntimeException e) {
            LOG.warning("sweeping the mounts of VMs not running: " + e.getMessage());
        }
        // Stops resumed last, in the background: a graceful power-off may take its whole grace period.
        for (VmRecord vm : toStop) {
            Thread.ofVirtual().name("reconcile-stop-" + vm.id()).start(() -> {
                try {
                    power.stop(vm, false);
                } catch (RuntimeException e) {
                    LOG.warning("finishing the stop of VM " + vm.name() + ": " + e.getMessage());
                }
            });
        }
        Report report = new Report(records.size(), kept, adopted, demoted, undone, deleted, unknownVmms, orphanTaps, unknownDirs,
                (System.nanoTime() - t0) / 1_000_000);
        LOG.info(report.summary());
        if (!unknownVmms.isEmpty() || !unknownDirs.isEmpty()) {
            LOG.warning("found VMs this database does not know; nothing of them was touched. 'banger daemon recover' adopts "
                    + "those whose directory holds a vm.json");
        }
        return report;
    }

    /**
     * A restore the daemon died in: the guest may still carry its parent's identity (its tap is off the bridge), so
     * it is never kept. Its VMM is killed, what it held released, the disks the restore made removed, and the VM is
     * stopped: its next start resumes the snapshot afresh (an in-place resume of a pause keeps the VM's own disks and
     * drops the pause: the next start boots them).
     */
    private void undoRestore(VmRecord vm) {
        power.tearDown(vm, true);
        power.undoRestoreDisks(vm);
        power.restoringMarker(vm, false);
        transitions.move(vm, VmState.STOPPED, "its restore from a snapshot was interrupted when bangerd ended; "
                + "'banger vm start " + vm.name() + "' resumes it afresh");
    }

    /** A VM whose VMM runs: handles seeded from what was found, its exit watched, its tap kept. */
    private void keep(VmRecord vm, VmRecord running, long pid, Set<String> liveTaps) {
        VmHandles found = liveness.rediscoverHandles(vm, Optional.of(pid));
        handles.seed(vm, found);
        power.watch(running, pid);
        liveTaps.add(found.tap());
    }

    /**
     * banger's taps that no process holds (up, no carrier) and no running VM owns: left by a VMM that died.
     * A tap someone holds open, or whose state cannot tell, is never removed: it may carry a guest this
     * database does not know.
     */
    private List<String> sweepIdleTaps(Set<String> liveTaps) {
        List<String> removed = new ArrayList<>();
        try {
            for (String tap : network.idleTaps()) {
                if (!liveTaps.contains(tap)) {
                    network.deleteTap(tap);
                    removed.add(tap);
                }
            }
        } catch (RuntimeException e) {
            LOG.warning("sweeping taps: " + e.getMessage());
        }
        return removed;
    }

    /** Entries of vms/ no record owns, each described (a descriptor's home and VM name when it has one); none is touched. */
    private List<String> unknownDirectories() {
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(vmsDir, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        Set<String> ids = new HashSet<>();
        store.list().forEach(vm -> ids.add(vm.id()));
        try (Stream<Path> entries = Files.list(vmsDir)) {
            for (Path p : entries.sorted().toList()) {
                if (!ids.contains(p.getFileName().toString())) {
                    found.add(describe(p));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("listing " + vmsDir + ": " + e.getMessage());
        }
        return found;
    }

    private String describe(Path dir) {
        String name = dir.getFileName().toString();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return name + " (not a directory)";
        }
        try {
            return transitions.descriptors().read(dir).map(d -> name + " (VM '" + d.vm().name() + "', "
                    + (d.homeId().equals(transitions.descriptors().homeId()) ? "this home's" : "home " + d.homeId()) + ")")
                    .orElse(name + " (no " + VmDescriptor.FILE + ")");
        } catch (RuntimeException e) {
            return name + " (unreadable " + VmDescriptor.FILE + ")";
        }
    }

    /** VMs made before descriptors existed (or whose last write failed) get theirs now. */
    private void backfillDescriptors() {
        for (VmRecord vm : store.list()) {
            Path dir = Path.of(vm.runtime().vmDir());
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && !Files.exists(dir.resolve(VmDescriptor.FILE), LinkOption.NOFOLLOW_LINKS)) {
                transitions.descriptors().update(vm);
            }
        }
    }
}
