package dev.banger.nomad;

import dev.banger.api.Params;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CPUUsage;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.MemoryUsage;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskResourceUsage;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStats;
import java.time.Duration;
import java.time.Instant;

/**
 * A task's resource usage for TaskStats, from bangerd's {@code vm.usage}: its VM's VMM process as the host sees it, CPU
 * as cores busy over a sample and resident memory. bangerd measures (it knows the VMM's pid and whether it runs), so the
 * plugin needs no access to the VM's files or to /proc, and runs as any user that may reach bangerd's socket.
 */
final class VmUsage {
    /** vm.usage's bounds on one sample (docs/API.md): a longer collection interval waits out the rest. */
    static final Duration MIN_SAMPLE = Duration.ofMillis(100);
    static final Duration MAX_SAMPLE = Duration.ofSeconds(5);

    private VmUsage() {
    }

    /** The sample to ask bangerd for within a collection interval: the interval itself, within vm.usage's bounds. */
    static long sampleMs(Duration interval) {
        return Math.clamp(interval.toMillis(), MIN_SAMPLE.toMillis(), MAX_SAMPLE.toMillis());
    }

    /**
     * Nomad's TaskStats of one sample: CPU percent (100 is one core busy), total ticks (the MHz that stands for, as
     * Nomad counts CPU: cores busy times one core's MHz, when that is known) and RSS, each listed as measured. Without
     * measures ({@code usage} null, or the VM not running) the message says nothing was measured, which Nomad shows as
     * no data.
     */
    static TaskStats stats(String taskId, Params.VmUsageSample usage, Instant at, long cpuMhzPerCore) {
        TaskResourceUsage.Builder u = TaskResourceUsage.newBuilder();
        if (usage != null && usage.cores() != null && usage.rssBytes() != null) {
            CPUUsage.Builder cpu = CPUUsage.newBuilder().setPercent(usage.cores() * 100)
                    .addMeasuredFields(CPUUsage.Fields.PERCENT);
            if (cpuMhzPerCore > 0) {
                cpu.setTotalTicks(usage.cores() * cpuMhzPerCore).addMeasuredFields(CPUUsage.Fields.TOTAL_TICKS);
            }
            u.setCpu(cpu);
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
