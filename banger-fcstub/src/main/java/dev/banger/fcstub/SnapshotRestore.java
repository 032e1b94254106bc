package dev.banger.fcstub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;

/**
 * What a snapshot load does to the configuration before any guest runs, as Firecracker's load does: read the state
 * file (its version must be this Firecracker's), check the memory file, take the machine the state records, apply the
 * overrides the contract allows (a tap per interface, the vsock socket), then open what the devices need: every
 * drive at the path the state records (the load has no drive override; a PATCH moves a drive afterwards) and every
 * tap. Any failure here is a failed load, which ends the process.
 */
final class SnapshotRestore {
    private SnapshotRestore() {
    }

    /** Replaces {@code config}'s machine with the snapshot's; returns the state file's header. */
    static SnapshotFiles.State configure(VmConfig config, SnapshotRequests.Load load, ObjectMapper json, String version) throws Fault {
        SnapshotFiles.State saved = SnapshotFiles.readState(json, load.vmstate());
        if (!saved.version().equals(version)) {
            throw new Fault(SnapshotFiles.LOAD_ERROR + "Failed to get snapshot state from file: the state is of Firecracker "
                    + saved.version() + ", this is " + version);
        }
        SnapshotFiles.checkMemory(json, load.memory(), saved);
        try {
            config.restoreFrom(saved.config());
        } catch (RuntimeException e) {
            throw new Fault(SnapshotFiles.LOAD_ERROR + "Failed to get snapshot state from file: its configuration is unreadable: " + e);
        }
        for (Map.Entry<String, String> o : load.taps().entrySet()) {
            VmConfig.Nic nic = config.nics.get(o.getKey());
            if (nic == null) {
                throw new Fault(SnapshotFiles.LOAD_ERROR + "Invalid network override: the snapshot has no network interface " + o.getKey());
            }
            config.nics.put(nic.id(), new VmConfig.Nic(nic.id(), o.getValue(), nic.guestMac(),
                    ((ObjectNode) nic.json().deepCopy()).put("host_dev_name", o.getValue())));
        }
        if (load.vsock().isPresent()) {
            VmConfig.Vsock v = config.vsock.orElseThrow(() -> new Fault(SnapshotFiles.LOAD_ERROR
                    + "Invalid vsock override: the snapshot has no vsock device"));
            config.vsock = Optional.of(new VmConfig.Vsock(v.guestCid(), load.vsock().get(),
                    ((ObjectNode) v.json().deepCopy()).put("uds_path", load.vsock().get().toString())));
        }
        for (VmConfig.Drive d : config.drivesRootFirst()) {
            if (!Files.exists(d.path()) || Files.isDirectory(d.path())) {
                throw new Fault(SnapshotFiles.LOAD_ERROR + "Failed to restore devices: Block: Virtio backend error: Error manipulating "
                        + "the backing file: No such file or directory (os error 2) " + d.path());
            }
        }
        for (VmConfig.Nic n : config.nics.values()) {
            try {
                HostChecks.existingInterface(n.hostDevName());
            } catch (Fault f) {
                throw new Fault(SnapshotFiles.LOAD_ERROR + "Failed to restore devices: Net: " + f.getMessage());
            }
        }
        return saved;
    }
}
