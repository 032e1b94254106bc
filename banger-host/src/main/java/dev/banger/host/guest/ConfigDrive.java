package dev.banger.host.guest;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a VM's config drive: a small vfat filesystem labelled CIDATA (cloud-init's NoCloud source),
 * made with mkfs.vfat and filled with mcopy: no loop mount, so no kernel state to leak.
 */
public final class ConfigDrive {
    /** 2 MiB: room for the files (a few KiB) and vfat's minimum. */
    private static final int SIZE_KIB = 2048;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ConfigDrive() {
    }

    public static void write(Path image, Map<String, String> files) {
        Path staging = image.resolveSibling(image.getFileName() + ".files");
        try {
            Files.deleteIfExists(image);
            deleteDir(staging);
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            run(List.of("mkfs.vfat", "-n", "CIDATA", "-C", image.toString(), Integer.toString(SIZE_KIB)));
            Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-------"));
            List<String> mcopy = new ArrayList<>(List.of("mcopy", "-i", image.toString(), "-o", "-Q"));
            for (Map.Entry<String, String> f : files.entrySet()) {
                if (!f.getKey().matches("[A-Za-z0-9._-]+")) {
                    throw new IllegalArgumentException("bad config drive file name " + f.getKey());
                }
                Path file = staging.resolve(f.getKey());
                Files.writeString(file, f.getValue());
                mcopy.add(file.toString());
            }
            mcopy.add("::");
            run(mcopy);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot write the config drive " + image + ": " + e.getMessage(), e);
        } finally {
            deleteDir(staging);
        }
    }

    private static void run(List<String> argv) {
        HostCommand.Output out = HostCommand.run(argv, TIMEOUT);
        if (!out.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, argv.get(0) + " failed: " + out.text().strip()
                    + " (install dosfstools and mtools: ./setup.sh does)");
        }
    }

    private static void deleteDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot clean " + dir + ": " + e.getMessage(), e);
        }
    }
}
