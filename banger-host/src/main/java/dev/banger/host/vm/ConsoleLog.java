package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Watches a VM's serial console file for a boot milestone (the fast boot prints "banger-init: ready").
 * The file is appended to across boots, so a watch starts at the size the file had before QEMU was
 * launched ({@link #size}). The console is guest output: it is read in bounded chunks and only the tail
 * that could still complete the marker is kept between reads, however much the guest prints.
 */
public final class ConsoleLog {
    public static final String READY_MARKER = "banger-init: ready";
    private static final int CHUNK = 64 * 1024;
    private static final Duration POLL = Duration.ofMillis(50);

    private ConsoleLog() {
    }

    /** The file's current size, 0 when it does not exist yet. */
    public static long size(Path console) {
        try {
            return Files.size(console);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read the size of " + console + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until {@code marker} appears in {@code console} after byte {@code fromOffset}. Fails when
     * {@code running} turns false first (QEMU exited) or the timeout passes.
     *
     * @return the offset just after the marker
     */
    public static long awaitMarker(Path console, long fromOffset, String marker, Duration timeout, BooleanSupplier running) {
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + timeout.toNanos();
        long offset = fromOffset;
        byte[] carry = new byte[0];
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        while (true) {
            boolean wasRunning = running.getAsBoolean();
            if (Files.exists(console)) {
                try (FileChannel ch = FileChannel.open(console, StandardOpenOption.READ)) {
                    while (true) {
                        buf.clear();
                        int n = ch.read(buf, offset);
                        if (n <= 0) {
                            break;
                        }
                        byte[] window = new byte[carry.length + n];
                        System.arraycopy(carry, 0, window, 0, carry.length);
                        System.arraycopy(buf.array(), 0, window, carry.length, n);
                        int at = indexOf(window, needle);
                        if (at >= 0) {
                            return offset - carry.length + at + needle.length;
                        }
                        offset += n;
                        int keep = Math.min(window.length, needle.length - 1);
                        carry = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
                    }
                } catch (IOException e) {
                    throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read the console " + console + ": " + e.getMessage(), e);
                }
            }
            // Checked before the last read: output written just before an exit is still seen.
            if (!wasRunning) {
                throw new BangerException(ErrorCode.BOOT_FAILED, "QEMU exited before the console showed '" + marker
                        + "': see " + console + " for how far the boot got");
            }
            if (System.nanoTime() > deadline) {
                throw new BangerException(ErrorCode.TIMED_OUT, "the console did not show '" + marker + "' within "
                        + timeout.toSeconds() + " s: see " + console + " for how far the boot got");
            }
            dev.banger.host.proc.ProcessTable.sleep(POLL);
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
