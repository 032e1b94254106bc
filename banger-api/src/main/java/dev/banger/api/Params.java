package dev.banger.api;

import java.util.List;

/** Parameter and result records of the RPC methods (see docs/API.md). */
public final class Params {
    private Params() {
    }

    /** {@code vm.create}: every field but none is optional; absent fields take the daemon's defaults. */
    public record VmCreate(String name, String image, Integer vcpus, Integer memoryMib, Long rootDiskMib,
                           Long workDiskMib) {
    }

    /** {@code vm.get}: a VM named by its name or its id. */
    public record VmRef(String vm) {
    }

    /** {@code vm.delete}: {@code force} also deletes a running or broken VM. */
    public record VmDelete(String vm, boolean force) {
    }

    public record VmList(List<VmRecord> vms) {
    }

    public record Deleted(String id, String name) {
    }

    public record DaemonStatus(String version, long pid, long uptimeSeconds, String home, String socket,
                               String database, int schemaVersion, int vmCount, int openConnections) {
    }

    public record ShutdownAccepted(boolean stopping) {
    }
}
