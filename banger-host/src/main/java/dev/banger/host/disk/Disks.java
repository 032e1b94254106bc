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
