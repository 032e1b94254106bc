package dev.banger.api;

import java.time.Instant;
import java.util.List;

/**
 * One row of the durable {@code snapshots} table, and what {@code snapshot.get}/{@code snapshot.list} return: a
 * VM's memory, devices and disks saved at a moment, and what a restore of it needs (VMM and its version, machine
 * type, accelerator, vCPUs, memory, image).
 *
 * @param kind        {@link #USER} ({@code vm snapshot}), {@link #TEMPLATE} (an image's warm start), {@link #FORK}
 *                    (the layer {@code vm fork}'s children share, removed with the last of them) or {@link #PAUSE} (a
 *                    paused E2B sandbox's memory: its VM's next start resumes it once, over the VM's own disks)
 * @param state       {@link #TAKING} while it is being saved (never offered for a restore), then {@link #READY}
 * @param sourceVmId  the VM it was taken from (which may since be deleted), and {@code sourceVm} its name then
 * @param templateKey for templates, the key of what it depends on; null otherwise
 * @param dir         the directory of its files
 * @param sizeBytes   what its files take on disk (allocated blocks: holes and zero pages take none)
 * @param stateBytes  the saved memory and device state's part of that
 * @param pausedMs    how long the source VM was paused while it was taken
 * @param usedBy      the VMs whose disks lie over this snapshot's (filled in when read; not stored)
 */
public record SnapshotRecord(String id, String name, String kind, String state, String sourceVmId, String sourceVm, String image,
                             String vmm, String vmmVersion, String machine, String accelerator, int vcpus, int memoryMib,
                             long rootDiskMib, long workDiskMib, String templateKey, String dir, long sizeBytes, long stateBytes,
                             long pausedMs, Instant createdAt, List<String> usedBy) {
    public static final String USER = "user";
    public static final String TEMPLATE = "template";
    public static final String FORK = "fork";
    public static final String PAUSE = "pause";
    public static final String TAKING = "taking";
    public static final String READY = "ready";

    public SnapshotRecord {
        usedBy = usedBy == null ? List.of() : List.copyOf(usedBy);
    }

    public SnapshotRecord withUsedBy(List<String> vms) {
        return new SnapshotRecord(id, name, kind, state, sourceVmId, sourceVm, image, vmm, vmmVersion, machine, accelerator, vcpus,
                memoryMib, rootDiskMib, workDiskMib, templateKey, dir, sizeBytes, stateBytes, pausedMs, createdAt, vms);
    }

    /** This snapshot ready, with what its files take and how long its VM was paused. */
    public SnapshotRecord ready(long size, long state, long paused) {
        return measured(size, state, paused).withState(READY);
    }

    /** This snapshot with what its files take and how long its VM was paused; its state unchanged. */
    public SnapshotRecord measured(long size, long state, long paused) {
        return new SnapshotRecord(id, name, kind, this.state, sourceVmId, sourceVm, image, vmm, vmmVersion, machine, accelerator, vcpus,
                memoryMib, rootDiskMib, workDiskMib, templateKey, dir, size, state, paused, createdAt, usedBy);
    }

    private SnapshotRecord withState(String next) {
        return new SnapshotRecord(id, name, kind, next, sourceVmId, sourceVm, image, vmm, vmmVersion, machine, accelerator, vcpus,
                memoryMib, rootDiskMib, workDiskMib, templateKey, dir, sizeBytes, stateBytes, pausedMs, createdAt, usedBy);
    }
}
