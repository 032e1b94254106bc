package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

/**
 * A running QEMU's qcow2 disk frozen at a moment, for snapshots: the image it writes to becomes a read-only
 * layer, and QEMU goes on writing to a new overlay on top of it (QMP {@code blockdev-snapshot-sync}), so the
 * frozen layer can back other VMs' overlays. The files keep the VM's names: the frozen image moves to where the
 * snapshot keeps it, the new overlay takes the old name, and the overlay's header is pointed at the frozen
 * image's new path (QMP {@code change-backing-file}); QEMU holds both files open, so it never notices.
 */
public final class QemuDisks {
    private QemuDisks() {
    }

    /**
     * Freezes drive {@code device} of the QEMU behind {@code qmp}, whose image is {@code active}: afterwards
     * {@code frozen} holds the image as it was (on the same filesystem; it must not exist) and {@code active} is
     * a new overlay over it. Best done with the guest stopped, so the frozen image matches a saved state.
     */
    public static void freeze(QmpClient qmp, String device, Path active, Path frozen, Duration timeout) {
        Path next = active.resolveSibling(active.getFileName() + ".next");
        String node = device + "-top";
        try {
            if (Files.exists(frozen)) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, frozen + " exists already: a disk is never frozen over another");
            }
            if (!Files.getFileStore(active).equals(Files.getFileStore(frozen.getParent()))) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot freeze " + active + " into " + frozen
                        + ": they are on different filesystems, and the image must move, not be copied");
            }
            Files.deleteIfExists(next);
            qmp.execute("blockdev-snapshot-sync", Map.of("device", device, "snapshot-file", next.toString(),
                    "snapshot-node-name", node, "format", "qcow2"), timeout);
            Files.move(active, frozen, StandardCopyOption.ATOMIC_MOVE);
            Files.move(next, active, StandardCopyOption.ATOMIC_MOVE);
            qmp.execute("change-backing-file", Map.of("device", device, "image-node-name", node,
                    "backing-file", frozen.toString()), timeout);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot freeze the disk " + active + ": " + e.getMessage(), e);
        }
    }
}
