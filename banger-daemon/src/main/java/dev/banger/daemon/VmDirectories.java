package dev.banger.daemon;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.host.SafeDelete;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Creates and removes per-VM directories, refusing to touch anything outside the VMs directory. */
final class VmDirectories {
    private final Path vmsDir;

    VmDirectories(Path vmsDir) {
        this.vmsDir = vmsDir.toAbsolutePath().normalize();
    }

    void create(Path vmDir) {
        Path dir = inside(vmDir);
        try {
            Files.createDirectories(vmsDir);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // idempotent: a retried create after a crash finds its own directory
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot create VM directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the directory tree (a missing one is already removed): {@link SafeDelete} kills what still
     * works inside it, unmounts, never follows a symlink or crosses into another filesystem.
     */
    void remove(Path vmDir) {
        SafeDelete.tree(inside(vmDir));
    }

    private Path inside(Path vmDir) {
        Path dir = vmDir.toAbsolutePath().normalize();
        if (!dir.getParent().equals(vmsDir)) {
            throw new BangerException(ErrorCode.INTERNAL, "refusing to touch " + dir + ": VM directories live directly in " + vmsDir);
        }
        return dir;
    }
}
