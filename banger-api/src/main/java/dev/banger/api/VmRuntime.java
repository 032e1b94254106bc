package dev.banger.api;

/**
 * The durable or deterministic part of a VM's runtime, stored in SQLite beside its spec. What is only
 * momentarily true (VMM PID, tap device, loop devices, dm names) is deliberately absent: that lives in
 * the daemon's handle cache and the VM's handles.json, rebuilt from the host after a restart.
 *
 * <p>Paths are derived by banger-core's {@code StatePaths} when the VM is created and stored so a later
 * change of layout never orphans an existing VM.
 *
 * <p>{@code fromSnapshot} is the id of the snapshot whose disks this VM's disks are layered on (null: its
 * image's), fixed at creation: the snapshot cannot be removed while a VM names it.
 */
public record VmRuntime(
        VmState state,
        String guestIp,
        String apiSockPath,
        String vsockPath,
        long vsockCid,
        String logPath,
        String metricsPath,
        String dnsName,
        String vmDir,
        String systemOverlay,
        String workDiskPath,
        String lastError,
        String fromSnapshot) {

    /** A VM whose disks lie over its image's (no snapshot's). */
    public VmRuntime(VmState state, String guestIp, String apiSockPath, String vsockPath, long vsockCid, String logPath,
                     String metricsPath, String dnsName, String vmDir, String systemOverlay, String workDiskPath, String lastError) {
        this(state, guestIp, apiSockPath, vsockPath, vsockCid, logPath, metricsPath, dnsName, vmDir, systemOverlay, workDiskPath,
                lastError, null);
    }

    public VmRuntime withState(VmState next, String error) {
        return new VmRuntime(next, guestIp, apiSockPath, vsockPath, vsockCid, logPath, metricsPath, dnsName,
                vmDir, systemOverlay, workDiskPath, error, fromSnapshot);
    }
}
