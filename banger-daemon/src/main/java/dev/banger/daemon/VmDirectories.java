package dev.banger.daemon;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
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

    /** Removes the directory tree; a missing directory is already removed. Symlinks are removed, never followed. */
    void remove(Path vmDir) {
        Path dir = inside(vmDir);
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    if (exc != null && !(exc instanceof NoSuchFileException)) {
                        throw exc;
                    }
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot remove VM directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path inside(Path vmDir) {
        Path dir = vmDir.toAbsolutePath().normalize();
        if (!dir.getParent().equals(vmsDir)) {
            throw new BangerException(ErrorCode.INTERNAL, "refusing to touch " + dir + ": VM directories live directly in " + vmsDir);
        }
        return dir;
    }
}
