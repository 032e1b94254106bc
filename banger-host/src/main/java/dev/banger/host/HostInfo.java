package dev.banger.host;

import dev.banger.core.ProcParsers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/** Facts about this host and this process, read from /proc. */
public final class HostInfo {
    private HostInfo() {
    }

    public static boolean isRoot() {
        return ProcParsers.effectiveUid(read("/proc/self/status")) == 0;
    }

    public static long totalMemoryMib() {
        return ProcParsers.memTotalMib(read("/proc/meminfo"));
    }

    public static long pid() {
        return ProcessHandle.current().pid();
    }

    /** When this process started, for start-up timing in logs. */
    public static Optional<Instant> processStart() {
        return ProcessHandle.current().info().startInstant();
    }

    public static boolean processAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
