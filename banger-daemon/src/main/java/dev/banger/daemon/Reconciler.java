package dev.banger.daemon;

import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.ReconcileRules;
import dev.banger.core.VmIds;
import dev.banger.core.net.InterfaceNames;
import dev.banger.host.vm.VmHandles;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
 * and demoted with the reason, half-done creates are undone and half-done deletes finished; then
 * whatever carries banger's naming but belongs to no record (taps, VMM processes, VM directories) is
 * reported and removed. One process-table scan and one tap listing serve all VMs.
 */
final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());

    /** What a reconcile did, for the log and for tests. */
    record Report(int vms, int kept, List<String> demoted, List<String> undone, List<String> finishedDeletes,
                  List<String> strayProcesses, List<String> orphanTaps, List<String> orphanDirs, long millis) {
        String summary() {
            return "reconciled " + vms + " VMs in " + millis + " ms: " + kept + " running" + list(", demoted", demoted)
                    + list(", creates undone", undone) + list(", deletes finished", finishedDeletes)
                    + list(", stray VMMs killed", strayProcesses) + list(", orphan taps removed", orphanTaps)
                    + list(", orphan directories removed", orphanDirs);
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
    private final HostNetworking network;
    private final Vmms vmms;
    private final VmTransitions transitions;

    Reconciler(VmStore store, Path vmsDir, VmService vms, VmPower power, VmLiveness liveness, VmHandleCache handles,
               HostNetworking network, Vmms vmms, Clock clock) {
        this.store = store;
        this.vmsDir = vmsDir;
        this.vms = vms;
        this.power = power;
        this.liveness = liveness;
        this.handles = handles;
        this.network = network;
        this.vmms = vmms;
        this.transitions = new VmTransitions(store, clock);
    }

    Report reconcile() {
        long t0 = System.nanoTime();
        List<VmRecord> records = store.list();
        VmLiveness.Scan scan = liveness.scan(records, vmsDir);
        int kept = 0;
        List<String> demoted = new ArrayList<>();
        List<String> undone = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        List<VmRecord> toStop = new ArrayList<>();
        Set<String> liveTaps = new HashSet<>();
        for (VmRecord vm : records) {
            Optional<Long> pid = Optional.ofNullable(scan.running().get(vm.id()));
            try {
                switch (ReconcileRules.decide(vm.state(), pid.isPresent())) {
                    case KEEP_RUNNING -> {
                        VmHandles found = liveness.rediscoverHandles(vm, pid);
                        handles.seed(vm, found);
                        VmRecord running = vm.state() == VmState.RUNNING ? vm : transition(vm, VmState.RUNNING, null);
                        power.watch(running, pid.get());
                        liveTaps.add(found.tap());
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
                        transition(vm, VmState.STOPPED, ReconcileRules.demotedReason(vm.state(), lastPid));
                        demoted.add(vm.name());
                    }
                    case KILL_STRAY -> {
                        vmms.of(vm).kill(pid.get());
                        power.releaseHandles(vm);
                        LOG.warning("VM " + vm.name() + " is " + vm.state().wireName() + " but VMM pid " + pid.get()
                                + " ran on its socket: killed");
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
        List<String> strays = new ArrayList<>();
        scan.strays().forEach((pid, socket) -> {
            vmms.killStray(pid);
            strays.add(pid + " (" + socket + ")");
        });
        List<String> orphanTaps = sweepTaps(liveTaps);
        List<String> orphanDirs = sweepDirectories();
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
        Report report = new Report(records.size(), kept, demoted, undone, deleted, strays, orphanTaps, orphanDirs,
                (System.nanoTime() - t0) / 1_000_000);
        LOG.info(report.summary());
        return report;
    }

    /** Taps with banger's prefix that no running VM owns: left by a VMM that died, or by a VM long gone. */
    private List<String> sweepTaps(Set<String> liveTaps) {
        List<String> removed = new ArrayList<>();
        try {
            for (String tap : network.taps()) {
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

    /** Directories in vms/ named like a VM id that no record owns; anything else there is reported, not touched. */
    private List<String> sweepDirectories() {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(vmsDir)) {
            return removed;
        }
        Set<String> ids = new HashSet<>();
        store.list().forEach(vm -> ids.add(vm.id()));
        VmDirectories dirs = new VmDirectories(vmsDir);
        try (Stream<Path> entries = Files.list(vmsDir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                if (ids.contains(name)) {
                    continue;
                }
                if (VmIds.looksLikeId(name) && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    dirs.remove(p);
                    removed.add(name);
                } else {
                    LOG.warning(p + " is not a VM directory banger made: left alone");
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("sweeping " + vmsDir + ": " + e.getMessage());
        }
        return removed;
    }

    private VmRecord transition(VmRecord vm, VmState next, String error) {
        return transitions.move(vm, next, error);
    }
}
