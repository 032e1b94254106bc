package dev.banger.host.proc;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a process uses now, from /proc on the host (nothing asked of any guest): its CPU, as cores busy over a short
 * interval, and its resident memory. For a VMM these are its VM's: the guest's vCPUs are its threads, and the guest
 * memory it has touched is resident in it.
 *
 * @param cores    CPU time used per wall time over the interval (1.0 is one core busy throughout)
 * @param rssBytes resident memory at the end of the interval
 */
public record ProcessUsage(double cores, long rssBytes) {
    /** USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux's x86 and arm64 alike. */
    static final long TICKS_PER_SECOND = 100;

    /** Samples {@code pid} over {@code interval} (blocking that long); empty when it is gone, or goes meanwhile. */
    public static Optional<ProcessUsage> sample(long pid, Duration interval) {
        OptionalLong before = ProcessTable.cpuTicks(pid);
        long t0 = System.nanoTime();
        if (before.isEmpty()) {
            return Optional.empty();
        }
        try {
            Thread.sleep(interval);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        OptionalLong after = ProcessTable.cpuTicks(pid);
        long wallNanos = System.nanoTime() - t0;
        OptionalLong rssKib = ProcessTable.rssKib(pid);
        if (after.isEmpty() || rssKib.isEmpty() || wallNanos <= 0) {
            return Optional.empty();
        }
        return Optional.of(new ProcessUsage(cores(after.getAsLong() - before.getAsLong(), wallNanos), rssKib.getAsLong() * 1024));
    }

    /** Cores busy: {@code ticks} of CPU time over {@code wallNanos} of wall time (never below 0). */
    static double cores(long ticks, long wallNanos) {
        return Math.max(0, ticks) * (1e9 / TICKS_PER_SECOND) / wallNanos;
    }
}
