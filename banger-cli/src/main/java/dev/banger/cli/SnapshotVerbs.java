package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.SnapshotRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** banger snapshot ...: list, show and remove snapshots (vm snapshot and vm fork take them). */
final class SnapshotVerbs {
    private SnapshotVerbs() {
    }

    static List<Verb> all(CliContext ctx) {
        return List.of(
                new CallVerb<>(ctx, "list", "List snapshots: user snapshots, image templates and fork layers.", Rpcs.SNAPSHOT_LIST, "ls")
                        .json("the snapshots").text(SnapshotVerbs::table),
                new CallVerb<>(ctx, "show", "Show one snapshot: what it needs to resume, its size, the VMs over it.", Rpcs.SNAPSHOT_GET,
                        "inspect").on(Args.SNAPSHOT, Params.SnapshotRef::new).json("the snapshot").text(SnapshotVerbs::details),
                new CallVerb<>(ctx, "rm", "Remove a snapshot (refused while a VM's disks lie over it).", Rpcs.SNAPSHOT_DELETE, "delete")
                        .on(Args.SNAPSHOT, Params.SnapshotRef::new).json("what was removed")
                        .text((d, c) -> c.out().println("removed snapshot " + d.name() + " (" + mib(d.freedBytes()) + ")")));
    }

    private static void table(Params.SnapshotList list, CliContext ctx) {
        Table t = new Table("NAME", "KIND", "STATE", "SOURCE VM", "IMAGE", "VMM", "SIZE", "VMS", "AGE");
        Instant now = Instant.now();
        for (SnapshotRecord s : list.snapshots()) {
            t.row(s.name(), s.kind(), s.state(), s.sourceVm(), s.image(), s.vmm() + " " + s.vmmVersion(), mib(s.sizeBytes()),
                    Integer.toString(s.usedBy().size()), Durations.shortForm(Duration.between(s.createdAt(), now)));
        }
        t.print(ctx.out());
    }

    private static void details(SnapshotRecord s, CliContext ctx) {
        String[][] rows = {
            {"Name", s.name()}, {"ID", s.id()}, {"Kind", s.kind()}, {"State", s.state()},
            {"Source VM", s.sourceVm() + " (" + s.sourceVmId() + ")"}, {"Image", s.image()},
            {"VMM", s.vmm() + " " + s.vmmVersion()}, {"Machine", s.machine()}, {"Accelerator", s.accelerator()},
            {"vCPUs", Integer.toString(s.vcpus())}, {"Memory", s.memoryMib() + " MiB"},
            {"Size on disk", mib(s.sizeBytes()) + " (saved state " + mib(s.stateBytes()) + ")"},
            {"Paused", s.pausedMs() + " ms"}, {"Taken", s.createdAt().toString()}, {"Directory", s.dir()},
            {"VMs over it", s.usedBy().isEmpty() ? "-" : String.join(", ", s.usedBy())},
        };
        for (String[] row : rows) {
            ctx.out().printf("%-14s %s%n", row[0] + ":", row[1]);
        }
        if (s.templateKey() != null) {
            ctx.out().printf("%-14s %s%n", "Template key:", s.templateKey());
        }
    }

    static String mib(long bytes) {
        return bytes < (10L << 20) ? (bytes >> 10) + " KiB" : (bytes >> 20) + " MiB";
    }
}
