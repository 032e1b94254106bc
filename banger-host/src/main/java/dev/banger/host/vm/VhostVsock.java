package dev.banger.host.vm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Whether QEMU can offer its guests a vsock device here: /dev/vhost-vsock exists and opens read-write. */
public final class VhostVsock {
    static final Path DEVICE = Path.of("/dev/vhost-vsock");

    private VhostVsock() {
    }

    public static boolean usable() {
        if (!Files.exists(DEVICE)) {
            return false;
        }
        try (FileChannel ignored = FileChannel.open(DEVICE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
