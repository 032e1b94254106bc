package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.VmDescriptor;
import dev.banger.host.AtomicFiles;
import dev.banger.host.StateFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Keeps each VM directory's {@code vm.json} ({@link VmDescriptor}) in step with the database: written
 * atomically when a VM is created and at every state change after, with the identity of this home.
 */
public final class VmDescriptors {
    private static final Logger LOG = Logger.getLogger(VmDescriptors.class.getName());

    private final String homeId;
    private final Path vmsDir;

    public VmDescriptors(String homeId, Path vmsDir) {
        this.homeId = homeId;
        this.vmsDir = vmsDir.toAbsolutePath().normalize();
    }

    String homeId() {
        return homeId;
    }

    /** Writes {@code vm}'s descriptor; a failure is the caller's (a create must not succeed without one). */
    void write(VmRecord vm) {
        Path file = file(vm);
        try {
            AtomicFiles.write(file, VmDescriptor.encode(homeId, vm));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code vm}'s descriptor after a state change. The database already holds the change, so a
     * failure here (a full disk) is logged, not fatal; a VM being deleted needs none (its directory goes).
     */
    void update(VmRecord vm) {
        if (vm.state() == VmState.DELETING) {
            return;
        }
        try {
            write(vm);
        } catch (BangerException e) {
            LOG.warning("VM " + vm.name() + ": " + e.getMessage() + " (the database has the change; vm.json is updated at the next one)");
        }
    }

    /** The descriptor in {@code dir} (a directory directly in vms/), checked; empty when it has none. */
    Optional<VmDescriptor> read(Path dir) {
        Path file = dir.resolve(VmDescriptor.FILE);
        try {
            return StateFiles.readBounded(file, VmDescriptor.MAX_BYTES).map(json -> VmDescriptor.parse(json, vmsDir, dir));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot read " + file + ": " + e.getMessage(), e);
        } catch (BangerException e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, file + " is not a valid VM descriptor: " + e.getMessage(), e);
        }
    }

    private static Path file(VmRecord vm) {
        return Path.of(vm.runtime().vmDir()).resolve(VmDescriptor.FILE);
    }
}
