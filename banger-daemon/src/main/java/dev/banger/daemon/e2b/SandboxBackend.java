package dev.banger.daemon.e2b;

import java.util.List;
import java.util.Optional;

/**
 * What the E2B room needs of banger's VMs; the wiring implements it with the VM and snapshot services, tests with a fake.
 * A sandbox's id is its VM's id (12 hex digits: stable, and a valid DNS label for {@code PORT-ID.DOMAIN} host names).
 */
public interface SandboxBackend {
    /** A VM as a sandbox sees it. {@code running} false is a stopped VM (E2B's "paused"). */
    record Vm(String id, boolean running, int vcpus, int memoryMib, long diskMib) {
    }

    /** Whether an image of that name exists (else the template is unknown: 404). */
    boolean imageExists(String image);

    /** Creates and starts a VM of {@code image}; on failure nothing of it is left and the exception says why. */
    Vm create(String image);

    Optional<Vm> find(String id);

    /** Deletes the VM, running or not; nothing when it is gone already. */
    void delete(String id);

    /** Starts the VM if it is stopped; the VM as it then is. */
    Vm resume(String id);

    /** Forks the running VM into {@code count} children, all or nothing. */
    List<Vm> fork(String id, int count);

    /**
     * Pauses the running VM: its memory saved, its VMM stopped (no CPU, no memory), its next {@link #resume} resuming
     * it with its processes. All or nothing; refused, saying why, for a VM that cannot be saved (host directory mounts).
     */
    void pause(String id);

    /**
     * What the running VM uses now, sampled on the host; empty when it does not run.
     *
     * @param cpuPct    its VMM's CPU time over a short interval, as a share of its vCPUs (0-100)
     * @param memUsed   its VMM's resident memory (bytes), at most the VM's memory
     * @param diskUsed  the blocks its disks take on the host (bytes), at most their size
     */
    record Usage(double cpuPct, long memUsed, long diskUsed) {
    }

    Optional<Usage> usage(String id);

    /** A connection to TCP {@code port} of the running VM's guest (the SDK's {@code getHost}); throws, saying why, if none. */
    dev.banger.daemon.publish.GuestConnection openPort(String id, int port);
}
