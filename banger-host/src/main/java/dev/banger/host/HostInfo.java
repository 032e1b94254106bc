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
    private static final int MAX_CPUINFO_BYTES = 16 << 20;

    private HostInfo() {
    }

    public static boolean isRoot() {
        return ProcParsers.effectiveUid(read("/proc/self/status")) == 0;
    }

    public static long totalMemoryMib() {
        return ProcParsers.memTotalMib(read("/proc/meminfo"));
    }

    /**
     * The MHz of one core at its fastest, as Nomad's client counts a node's CPU (cores x this): cpu0's cpufreq
     * {@code cpuinfo_max_freq} (kHz), which Nomad's Linux fingerprint reads first, else the largest {@code cpu MHz} of
     * /proc/cpuinfo; 0 when neither says (a VM without cpufreq on arm64, say). Never throws.
     */
    public static long cpuMhzPerCore() {
        return cpuMhzPerCore(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"), Path.of("/proc/cpuinfo"));
    }

    static long cpuMhzPerCore(Path maxFreqKhz, Path cpuinfo) {
        try {
            if (Files.isRegularFile(maxFreqKhz) && Files.size(maxFreqKhz) < 64) {
                long khz = Long.parseLong(Files.readString(maxFreqKhz).strip());
                if (khz >= 1000 && khz < 1_000_000_000) {
                    return khz / 1000;
                }
            }
        } catch (IOException | RuntimeException e) {
            // a file this odd says nothing: /proc/cpuinfo may
        }
        try (var in = Files.newInputStream(cpuinfo)) {
            // about 1 KiB a CPU: this covers thousands, and bounds the read
            return ProcParsers.maxCpuMhz(new String(in.readNBytes(MAX_CPUINFO_BYTES), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
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
