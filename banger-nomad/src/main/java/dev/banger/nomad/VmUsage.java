package dev.banger.nomad;

import dev.banger.api.VmRecord;
import dev.banger.core.StatePaths;
import dev.banger.host.proc.ProcessUsage;
import dev.banger.host.vm.VmHandles;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CPUUsage;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.MemoryUsage;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskResourceUsage;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A task's resource usage for TaskStats: its VM's VMM process as seen from the host (banger-host's
 * {@link ProcessUsage}, the sampler behind the E2B metrics): CPU as cores busy over the interval, and resident memory.
 * bangerd has no RPC for it, so the plugin reads the VMM's pid from the VM directory's {@code handles.json} (which
 * vm.get names) and /proc; that needs the plugin to run as root, as Nomad's client does. The pid is sampled only while
 * bangerd says the VM runs: whether a VMM runs has one answer in banger, bangerd's (its VmLiveness, the only caller of
 * the VMM drivers' process checks), so the plugin does not look at the process table itself.
 */
final class VmUsage {
    private static final long MAX_HANDLES_BYTES = 64 * 1024;

    private VmUsage() {
    }

    /** The VMM's pid for {@code vm}, when its handles file is readable and names a live VMM of that VM. */
    static OptionalLong vmmPid(VmRecord vm) {
        if (vm.runtime() == null || vm.runtime().vmDir() == null) {
            return OptionalLong.empty();
        }
        Path dir = Path.of(vm.runtime().vmDir());
        Path file = StatePaths.VmFile.HANDLES.in(dir);
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_HANDLES_BYTES) {
                return OptionalLong.empty();
            }
            long pid = VmHandles.parse(Files.readString(file), vm.id()).vmmPid();
            return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** Samples {@code pid} over {@code interval}: empty when it is gone. */
    static Optional<ProcessUsage> sample(long pid, Duration interval) {
        return ProcessUsage.sample(pid, interval);
    }

    /**
     * Nomad's TaskStats of one sample: CPU percent (100 is one core busy) and RSS, each listed as measured. Without a
     * sample ({@code usage} null) the message says nothing was measured, which Nomad shows as no data.
     */
    static TaskStats stats(String taskId, ProcessUsage usage, Instant at) {
        TaskResourceUsage.Builder u = TaskResourceUsage.newBuilder();
        if (usage != null) {
            u.setCpu(CPUUsage.newBuilder().setPercent(usage.cores() * 100)
                    .addMeasuredFields(CPUUsage.Fields.PERCENT));
            u.setMemory(MemoryUsage.newBuilder().setRss(usage.rssBytes())
                    .addMeasuredFields(MemoryUsage.Fields.RSS));
        } else {
            u.setCpu(CPUUsage.getDefaultInstance()).setMemory(MemoryUsage.getDefaultInstance());
        }
        return TaskStats.newBuilder()
                .setId(taskId)
                .setTimestamp(com.google.protobuf.Timestamp.newBuilder()
                        .setSeconds(at.getEpochSecond()).setNanos(at.getNano()))
                .setAggResourceUsage(u)
                .build();
    }
}
