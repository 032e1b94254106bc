package dev.banger.core;

import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import java.time.Instant;

/** Builds the durable record of a VM about to be created: identity, intent and derived runtime paths. */
public final class NewVm {
    public static final String DNS_SUFFIX = ".vm";

    private NewVm() {
    }

    public static VmRecord record(String id, VmSpec spec, StatePaths paths, String guestIp, long vsockCid, Instant now) {
        return record(id, spec, paths, guestIp, vsockCid, now, null);
    }

    /** A VM whose disks will lie over snapshot {@code fromSnapshot}'s (null: over its image's). */
    public static VmRecord record(String id, VmSpec spec, StatePaths paths, String guestIp, long vsockCid, Instant now,
                                  String fromSnapshot) {
        VmRuntime runtime = new VmRuntime(
                VmState.CREATING,
                guestIp,
                paths.apiSocket(id).toString(),
                paths.vsockSocket(id).toString(),
                vsockCid,
                paths.consoleLog(id).toString(),
                paths.metrics(id).toString(),
                spec.name() + DNS_SUFFIX,
                paths.vmDir(id).toString(),
                paths.rootDisk(id, dev.banger.core.vm.VmmKind.parse(spec.vmm())).toString(),
                paths.workDisk(id).toString(),
                null,
                fromSnapshot);
        return new VmRecord(id, spec, runtime, now, now);
    }
}
