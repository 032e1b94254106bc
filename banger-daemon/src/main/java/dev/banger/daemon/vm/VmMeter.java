package dev.banger.daemon.vm;

import dev.banger.api.BangerException;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.host.proc.ProcessUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * What a VM uses now, measured on the host: its VMM process's CPU over a short interval and its resident memory
 * (banger-host's {@link ProcessUsage}; the guest's vCPUs are the VMM's threads, its touched memory is resident in it).
 * The one place bangerd measures a VM: {@code vm.usage} answers with it, and the E2B metrics are made of it. The VMM's
 * pid is bangerd's own answer to "does it run" ({@link VmService#vmmPid}), so a VM that does not run is not sampled and
 * costs no wait.
 */
public final class VmMeter {
    /** Shortest sample: below this 100 Hz CPU ticks say little. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    /** Longest sample: the call holds its connection that long, and no caller may hold bangerd longer. */
    public static final Duration MAX_INTERVAL = Duration.ofSeconds(5);
    /** Long enough for 100 Hz ticks, short for a request. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);

    /** Samples a process over an interval (blocking that long); empty when it is gone. Tests give a stand-in. */
    interface Sampler {
        Optional<ProcessUsage> sample(long pid, Duration interval);
    }

    private final VmService vms;
    private final Sampler sampler;
    private final Clock clock;

    public VmMeter(VmService vms, Clock clock) {
        this(vms, ProcessUsage::sample, clock);
    }

    VmMeter(VmService vms, Sampler sampler, Clock clock) {
        this.vms = vms;
        this.sampler = sampler;
        this.clock = clock;
    }

    /** {@code vm.usage}: the interval checked ({@code INVALID_ARGUMENT} outside 100 to 5000 ms), then the sample. */
    public Params.VmUsageSample usage(Params.VmUsage p) {
        return sample(p.vm(), interval(p.intervalMs()));
    }

    /** The interval a caller asked for, in bounds; the default when it asked for none. */
    static Duration interval(Long ms) {
        if (ms == null) {
            return DEFAULT_INTERVAL;
        }
        if (ms < MIN_INTERVAL.toMillis() || ms > MAX_INTERVAL.toMillis()) {
            throw BangerException.invalid("interval_ms " + ms + " is out of range: give " + MIN_INTERVAL.toMillis() + " to "
                    + MAX_INTERVAL.toMillis() + " ms (for a longer view, sample again)");
        }
        return Duration.ofMillis(ms);
    }

    /** VM {@code ref} sampled over {@code interval}; the measures are null when its VMM does not run (or ends meanwhile). */
    public Params.VmUsageSample sample(String ref, Duration interval) {
        VmRecord vm = vms.get(ref);
        Optional<ProcessUsage> u = vms.vmmPid(vm.id()).flatMap(pid -> sampler.sample(pid, interval));
        int vcpus = vm.spec().vcpus();
        return new Params.VmUsageSample(vm.name(), vm.id(), vm.state().wireName(), vcpus,
                u.map(ProcessUsage::cores).orElse(null),
                u.map(x -> Math.clamp(x.cores() / Math.max(1, vcpus) * 100, 0.0, 100.0)).orElse(null),
                u.map(ProcessUsage::rssBytes).orElse(null),
                interval.toMillis(), clock.instant());
    }
}
