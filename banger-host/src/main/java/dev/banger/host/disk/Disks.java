package dev.banger.host.disk;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.disk.DiskCommands;
import dev.banger.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Makes a VM's disks (idempotently: an existing disk is kept, it holds the VM's data). */
public final class Disks {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private Disks() {
    }

    public static void ensureOverlay(Path base, Path overlay, long sizeMib) {
        if (Files.exists(overlay)) {
            return;
        }
        run(DiskCommands.overlay(base, overlay, sizeMib), "the copy-on-write root disk");
    }

    /** An overlay over a snapshot's frozen qcow2 root, of the same virtual size (the saved guest knows its disk's size). */
    public static void ensureOverlayOnQcow2(Path base, Path overlay) {
        if (Files.exists(overlay)) {
            return;
        }
        run(DiskCommands.overlay(base, "qcow2", overlay, 0), "the copy-on-write root disk");
    }

    /**
     * Copies a disk image, keeping its holes ({@link DiskCommands#sparseCopy}), through a temporary name, so that
     * {@code to} exists only whole. {@code to} must not exist.
     */
    public static void copySparse(Path from, Path to) {
        Path tmp = to.resolveSibling(to.getFileName() + ".part");
        try {
            Files.deleteIfExists(tmp);
            HostCommand.Output out = HostCommand.run(DiskCommands.sparseCopy(from, tmp), TIMEOUT);
            if (!out.ok()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "cannot copy " + from + " to " + to + ": cp says: " + out.text().strip()
                        + (out.text().contains("No space left") ? " (the disk is full)" : ""));
            }
            Files.move(tmp, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // removed with the directory it is in
            }
        }
    }

    /**
     * Bytes a file or directory really takes on disk: its allocated blocks, as {@code du} counts them (a sparse
     * file's holes take none; Java has no st_blocks).
     */
    public static long diskUsage(Path path) {
        HostCommand.Output out = HostCommand.run(List.of("du", "-s", "-B1", "--", path.toString()), TIMEOUT);
        String text = out.text().strip();
        int tab = text.indexOf('\t');
        if (!out.ok() || tab <= 0) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot measure " + path + ": du says: " + text);
        }
        try {
            return Long.parseLong(text.substring(0, tab));
        } catch (NumberFormatException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot measure " + path + ": du printed " + text);
        }
    }

    public static void ensureWorkDisk(Path file, long sizeMib) {
        if (Files.exists(file)) {
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        run(DiskCommands.workDisk(tmp, sizeMib), "the work disk");
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    private static void run(List<String> argv, String what) {
        HostCommand.Output out = HostCommand.run(argv, TIMEOUT);
        if (!out.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot create " + what + ": " + argv.get(0) + " says: " + out.text().strip()
                    + (out.text().contains("No space left") ? " (the disk is full)" : ""));
        }
    }
}
