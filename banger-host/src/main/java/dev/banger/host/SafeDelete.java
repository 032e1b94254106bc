package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.MountInfo;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;

/**
 * Deletes a directory tree that may have mounts inside it (a debootstrap killed half way leaves /proc,
 * /sys or a bind of the host's /dev mounted in its target). Unmounts everything below the directory
 * first, deepest first, and then deletes without ever crossing into another filesystem or following a
 * symlink, so a mount that could not be removed is skipped rather than emptied. A symlink given as the
 * tree itself is removed, never followed.
 *
 * <p>Two flavours, for two kinds of directory: {@link #tree} is for banger's own build scratch, where
 * every process inside was started by banger (a chrooted dpkg a killed build left behind) and is killed;
 * {@link #treeLeavingProcesses} is for directories users may stand in (a VM's), where only the processes
 * banger recorded may be stopped, by their owners, and anyone else inside is reported, never killed.
 */
public final class SafeDelete {
    private SafeDelete() {
    }

    /** A process found with its working or root directory inside a tree being deleted. */
    public record Occupant(long pid, String command) {
        @Override
        public String toString() {
            return "pid " + pid + " (" + command + ")";
        }
    }

    /** Deletes {@code dir}, killing every process whose working or root directory is inside it first. */
    public static void tree(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        occupants(root).forEach(o -> ProcessHandle.of(o.pid()).ifPresent(ProcessHandle::destroyForcibly));
        delete(root);
    }

    /**
     * Deletes {@code dir} without touching any process: the processes whose working or root directory is
     * inside it are returned, for the caller to report (their directory is gone from under them; they
     * keep running).
     */
    public static List<Occupant> treeLeavingProcesses(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<Occupant> inside = Files.isSymbolicLink(root) ? List.of() : occupants(root);
        delete(root);
        return inside;
    }

    private static void delete(Path root) {
        if (Files.isSymbolicLink(root)) {
            try {
                Files.delete(root);
                return;
            } catch (IOException e) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot remove the link " + root + ": " + e.getMessage(), e);
            }
        }
        unmountBelow(root);
        try {
            Object device = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    // Another filesystem (a mount we could not remove): leave it, never empty it.
                    return device.equals(Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))
                            ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

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
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot remove " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * The processes whose root or working directory is inside {@code root} (not this one). A build killed
     * with its daemon can leave grandchildren behind (dpkg inside the chroot, say), which
     * PR_SET_PDEATHSIG does not reach; a user's shell may stand in a VM's directory.
     */
    public static List<Occupant> occupants(Path root) {
        List<Occupant> found = new java.util.ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.toList()) {
                String pid = proc.getFileName().toString();
                if (!pid.chars().allMatch(Character::isDigit) || pid.equals(Long.toString(ProcessHandle.current().pid()))) {
                    continue;
                }
                if (inside(proc.resolve("root"), root) || inside(proc.resolve("cwd"), root)) {
                    found.add(new Occupant(Long.parseLong(pid), command(proc)));
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list /proc: " + e.getMessage(), e);
        }
        return found;
    }

    private static String command(Path proc) {
        try {
            return dev.banger.core.Text.printable(Files.readString(proc.resolve("comm")).strip(), 32);
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean inside(Path procLink, Path root) {
        try {
            return Files.readSymbolicLink(procLink).startsWith(root);
        } catch (IOException | SecurityException e) {
            return false; // the process is gone, or not ours to inspect
        }
    }

    private static void unmountBelow(Path root) {
        List<String> mounts;
        try {
            mounts = MountInfo.mountPointsUnder(Files.readString(Path.of("/proc/self/mountinfo")), root.toString());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
        for (String m : mounts) {
            HostCommand.run(List.of("umount", "-l", m), Duration.ofSeconds(30));
        }
    }
}
