package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.host.SafeDelete;
import dev.banger.host.StateFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * Creates, checks and removes per-VM directories, refusing to touch anything outside the VMs directory.
 * A VM directory is root's: a real directory (never a link), owned by the daemon's user, writable by
 * nobody else, holding no links but those a VMM driver makes itself.
 */
final class VmDirectories {
    /**
     * The only links a VM directory may hold: a jailed Firecracker's api.sock and vsock.sock lead into its
     * jail. The driver removes them (never following) and makes them anew at each boot.
     */
    static final Set<String> DRIVER_LINKS = Set.of("api.sock", "vsock.sock");

    private final Path vmsDir;

    VmDirectories(Path vmsDir) {
        this.vmsDir = vmsDir.toAbsolutePath().normalize();
    }

    void create(Path vmDir) {
        Path dir = inside(vmDir);
        try {
            Files.createDirectories(vmsDir);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // idempotent: a retried create after a crash finds its own directory (checked below)
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot create VM directory " + dir + ": " + e.getMessage(), e);
        }
        check(dir, "the new VM's directory");
    }

    /**
     * Before banger writes into {@code vmDir}: it is a real directory of root's that nobody else may write,
     * and holds no link a driver did not make. Throws, naming what is wrong and what to do.
     */
    void check(Path vmDir, String what) {
        Path dir = inside(vmDir);
        StateFiles.requireOwnDirectory(dir, what);
        List<String> links = StateFiles.linksIn(dir).stream()
                .filter(l -> !DRIVER_LINKS.contains(l.substring(0, l.indexOf(" -> ")))).toList();
        if (!links.isEmpty()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, what + " " + dir + " holds symbolic links (" + String.join(", ", links)
                    + "): banger never follows links in a VM directory. Remove them; banger makes its files anew");
        }
    }

    /**
     * Removes the directory tree (a missing one is already removed): {@link SafeDelete} unmounts, never
     * follows a symlink or crosses into another filesystem, and kills nothing. Returns what it found
     * standing inside (a user's shell, say), for the caller to report: only the processes banger started
     * (the VMM) are stopped, by the VM's teardown, before this runs.
     */
    List<SafeDelete.Occupant> remove(Path vmDir) {
        return SafeDelete.treeLeavingProcesses(inside(vmDir));
    }

    private Path inside(Path vmDir) {
        Path dir = vmDir.toAbsolutePath().normalize();
        if (!dir.getParent().equals(vmsDir)) {
            throw new BangerException(ErrorCode.INTERNAL, "refusing to touch " + dir + ": VM directories live directly in " + vmsDir);
        }
        return dir;
    }
}
