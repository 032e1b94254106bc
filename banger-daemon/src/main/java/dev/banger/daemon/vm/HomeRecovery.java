package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.core.VmDescriptor;
import dev.banger.core.VmIds;
import dev.banger.core.net.InterfaceNames;
import dev.banger.daemon.net.GuestNetwork;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.store.Database;
import dev.banger.store.StoreException;
import dev.banger.store.VmStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a daemon does when its database does not know the VMs on this host: a database that is missing,
 * empty or damaged next to VM directories, running VMMs or taps of banger's. It never guesses: a normal
 * start refuses, naming what it found and the ways out; {@code banger daemon recover} rebuilds the
 * records from the VM directories' descriptors and then reconcile adopts the running VMMs; {@code banger
 * daemon recover --purge} destroys what the database does not know, because the user said so.
 */
public final class HomeRecovery {
    private static final Logger LOG = Logger.getLogger(HomeRecovery.class.getName());
    /** How many of each kind of thing a refusal names before it says "and N more". */
    private static final int NAMED = 5;

    /** How the daemon was asked to start. */
    public enum Mode {
        NORMAL, RECOVER, PURGE;

        public static Mode fromArgs(List<String> args) {
            if (args.isEmpty()) {
                return NORMAL;
            }
            if (args.equals(List.of("--recover"))) {
                return RECOVER;
            }
            if (args.equals(List.of("--purge"))) {
                return PURGE;
            }
            throw BangerException.invalid("bangerd takes no arguments but --recover or --purge (state directory: BANGER_HOME; "
                    + "configuration: config.toml); use 'banger daemon recover [--purge]'");
        }
    }

    /** banger's things on this host: entries of vms/, VMMs whose socket lies there, taps with banger's prefix. */
    public record Found(List<String> dirs, Map<Long, Path> vmms, List<String> taps) {
        public boolean isEmpty() {
            return dirs.isEmpty() && vmms.isEmpty() && taps.isEmpty();
        }

        String describe() {
            List<String> parts = new ArrayList<>();
            if (!dirs.isEmpty()) {
                parts.add("  VM directories in vms/: " + named(dirs));
            }
            if (!vmms.isEmpty()) {
                parts.add("  VMMs running: " + named(vmms.entrySet().stream().map(e -> "pid " + e.getKey() + " (" + e.getValue() + ")").toList()));
            }
            if (!taps.isEmpty()) {
                parts.add("  taps: " + named(taps));
            }
            return String.join("\n", parts);
        }

        private static String named(List<String> items) {
            String shown = String.join(", ", items.subList(0, Math.min(NAMED, items.size())));
            return items.size() > NAMED ? shown + " and " + (items.size() - NAMED) + " more" : shown;
        }
    }

    private HomeRecovery() {
    }

    /** Looks for banger's things with one listing of vms/, one process-table scan per driver and one tap listing. */
    public static Found survey(Path vmsDir, VmLiveness liveness, Function<String, List<String>> tapsWithPrefix) {
        List<String> dirs = new ArrayList<>();
        if (Files.isDirectory(vmsDir, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> entries = Files.list(vmsDir)) {
                entries.map(p -> p.getFileName().toString()).sorted().forEach(dirs::add);
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list " + vmsDir + ": " + e.getMessage(), e);
            }
        }
        return new Found(dirs, liveness.allVmms(vmsDir), tapsWithPrefix.apply(InterfaceNames.TAP_PREFIX));
    }

    /** The refusal of a normal start: what the database lacks, what was found, and the three ways out. */
    public static BangerException refusal(Path database, Database.FileState state, Found found) {
        String what = state == Database.FileState.MISSING ? "is missing" : "is empty";
        return new BangerException(ErrorCode.FAILED_PRECONDITION, "the state database " + database + " " + what
                + ", but banger's VMs are on this host:\n" + found.describe() + "\n"
                + "Nothing was changed. A new database would not know them, so bangerd will not start with one. Either:\n"
                + "  - put the database back (" + database.getFileName() + ", with its -wal file if there is one), then run any banger command;\n"
                + "  - or run 'banger daemon recover': it rebuilds the records from each VM directory's " + VmDescriptor.FILE
                + " and adopts the VMs that still run;\n"
                + "  - or run 'banger daemon recover --purge' to destroy them all (VMMs killed, taps and VM directories with their "
                + "disks removed) and start empty.");
    }

    /** The refusal of a database that is damaged or cannot be read. */
    public static BangerException unusable(Path database, StoreException e) {
        String fix = e.kind() == StoreException.Kind.CORRUPT
                ? "Restore it from a backup if you have one, then run any banger command; or run 'banger daemon recover', which "
                  + "moves the damaged file aside (it is kept, never deleted) and rebuilds the records from each VM directory's "
                  + VmDescriptor.FILE + "."
                : "Check the file's owner and permissions (root, 0600) and the disk (dmesg), then run any banger command.";
        return new BangerException(ErrorCode.FAILED_PRECONDITION, "bangerd cannot use its state database: " + e.getMessage()
                + "\nNothing was changed and no new database was made. " + fix, e);
    }

    /**
     * Moves a database that will not be used (and its -wal and -shm) aside as {@code state.db.LABEL-STAMP},
     * keeping it: a damaged one, or the journal a lost one left (SQLite would replay it into a new file).
     * Returns where the database went.
     */
    public static Path moveAside(Path database, Instant now, String label) {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(now);
        Path aside = database.resolveSibling(database.getFileName() + "." + label + "-" + stamp);
        try {
            for (String suffix : List.of("-wal", "-shm", "")) {
                Path f = database.resolveSibling(database.getFileName() + suffix);
                if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(f, aside.resolveSibling(aside.getFileName() + suffix));
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot move the damaged database " + database + " aside: " + e.getMessage(), e);
        }
        LOG.warning("moved " + database + " and its journal files aside to " + aside + "*");
        return aside;
    }

    /** What a recovery did. */
    public record Recovered(List<String> vms, List<String> skipped) {
        public String summary() {
            return "recovered " + vms.size() + " VMs from their " + VmDescriptor.FILE + (vms.isEmpty() ? "" : " " + vms)
                    + (skipped.isEmpty() ? "" : "; not recovered: " + skipped);
        }
    }

    /**
     * Rebuilds the records of the VM directories the database lacks from their descriptors. A new database
     * takes on the identity of the home the descriptors name (the most common one, if several); every
     * recovered directory's descriptor is then rewritten with this database's identity. A directory whose
     * descriptor is missing, invalid, or collides with a record (name, address, CID) is skipped and named.
     *
     * @return the descriptors' writer for the (possibly adopted) home id, and what was done
     */
    public static Map.Entry<VmDescriptors, Recovered> recover(Database db, Path vmsDir) {
        VmStore store = db.vms();
        Set<String> known = store.list().stream().map(VmRecord::id).collect(Collectors.toSet());
        VmDescriptors reader = new VmDescriptors(db.homeId(), vmsDir);
        List<VmDescriptor> found = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try (Stream<Path> entries = Files.list(vmsDir)) {
            for (Path dir : entries.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (known.contains(name)) {
                    continue;
                }
                if (!VmIds.looksLikeId(name) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    skipped.add(name + " (not a VM directory)");
                    continue;
                }
                try {
                    Optional<VmDescriptor> d = reader.read(dir);
                    d.ifPresentOrElse(found::add, () -> skipped.add(name + " (no " + VmDescriptor.FILE + ")"));
                } catch (BangerException e) {
                    skipped.add(name + " (" + e.getMessage() + ")");
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list " + vmsDir + ": " + e.getMessage(), e);
        }
        if (known.isEmpty() && !found.isEmpty()) {
            String home = found.stream().collect(Collectors.groupingBy(VmDescriptor::homeId, Collectors.counting())).entrySet().stream()
                    .max(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                    .orElseThrow().getKey();
            db.adoptHomeId(home);
            LOG.info("the new database takes on the identity of the home its VMs name: " + home);
        }
        VmDescriptors writer = new VmDescriptors(db.homeId(), vmsDir);
        List<String> recovered = new ArrayList<>();
        for (VmDescriptor d : found) {
            try {
                store.insert(d.vm());
                writer.update(d.vm());
                recovered.add(d.vm().name());
            } catch (BangerException e) {
                skipped.add(d.vm().id() + " (VM '" + d.vm().name() + "': " + e.getMessage() + ")");
            }
        }
        Recovered result = new Recovered(recovered, skipped);
        LOG.warning(result.summary());
        return Map.entry(writer, result);
    }

    /**
     * Destroys what the database does not know, because the user asked: VMMs whose socket lies in vms/ but
     * belong to no record are killed, directories of vms/ no record owns removed (with their disks), taps no
     * record owns deleted.
     */
    public static String purge(VmStore store, Path vmsDir, Vmms vmms, VmLiveness liveness, GuestNetwork network) {
        Set<String> known = new HashSet<>();
        store.list().forEach(vm -> known.add(vm.id()));
        Map<Path, String> bySocket = new HashMap<>();
        store.list().forEach(vm -> bySocket.put(Path.of(vm.runtime().apiSockPath()), vm.id()));
        List<String> killed = new ArrayList<>();
        liveness.allVmms(vmsDir).forEach((pid, socket) -> {
            if (!bySocket.containsKey(socket)) {
                vmms.killStray(pid);
                killed.add("pid " + pid);
            }
        });
        List<String> removed = new ArrayList<>();
        VmDirectories dirs = new VmDirectories(vmsDir);
        try (Stream<Path> entries = Files.list(vmsDir)) {
            for (Path p : entries.sorted().toList()) {
                if (!known.contains(p.getFileName().toString())) {
                    dirs.remove(p);
                    removed.add(p.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list " + vmsDir + ": " + e.getMessage(), e);
        }
        List<String> taps = new ArrayList<>();
        for (String tap : network.taps()) {
            if (known.stream().noneMatch(id -> InterfaceNames.tapFor(id).equals(tap))) {
                network.deleteTap(tap);
                taps.add(tap);
            }
        }
        String summary = "purged what the database did not know: VMMs killed " + killed + ", VM directories removed " + removed
                + ", taps removed " + taps;
        LOG.warning(summary);
        return summary;
    }
}
