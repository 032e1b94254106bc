package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.core.guest.GuestConfig;
import dev.banger.core.snapshot.SnapshotNeeds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What a start needs to resume a VM from a snapshot instead of booting it: where the saved state is (the snapshot
 * room's, which knows the snapshots) and how the restored guest is made a machine of its own (the agent room's).
 * The lifecycle depends on these two seams only, never on those rooms.
 */
public record Restores(Source source, Identity identity) {
    /** No snapshots: every start boots (tests of the lifecycle alone). */
    public static final Restores NONE = new Restores(vm -> Optional.empty(), (vm, guest, timeout) -> {
        throw new BangerException(ErrorCode.UNSUPPORTED, "no guest identity service");
    });

    /**
     * A saved state a start resumes: the snapshot's name (for messages), its directory, what it needs of the VMM.
     * {@code inPlace}: the state was saved of this very VM, which was stopped with its guest paused (an E2B pause), so
     * the VM's own disks are the saved guest's: they are kept as they are, never made from the snapshot nor removed.
     */
    public record Pending(String snapshot, Path dir, SnapshotNeeds needs, boolean inPlace) {
        public Pending(String snapshot, Path dir, SnapshotNeeds needs) {
            this(snapshot, dir, needs, false);
        }
    }

    @FunctionalInterface
    public interface Source {
        /**
         * The saved state {@code vm}'s start resumes, when it has one: a VM made over a snapshot whose disks have
         * not been made yet (its first start) and whose snapshot still holds its state.
         */
        Optional<Pending> pending(VmRecord vm);

        /**
         * An in-place state ({@link Pending#inPlace}) was handed to a VMM: it is never resumed again, since the guest may
         * have written to the disks since, which the saved memory would not know (its next start boots those disks).
         */
        default void spent(VmRecord vm, Pending pending) {
        }
    }

    @FunctionalInterface
    public interface Identity {
        /**
         * Makes a restored guest a machine of its own through its agent (no guest network needed): fresh entropy
         * and an RNG reseed, the host's time, then its hostname, MAC, address, route, DNS, SSH host key, agent token
         * and a new machine-id: {@code guest}'s, the same values its config drive holds for its later boots. Throws,
         * saying why, when the guest could not be re-identified.
         */
        void reidentify(VmRecord vm, GuestConfig guest, Duration timeout);
    }
}
