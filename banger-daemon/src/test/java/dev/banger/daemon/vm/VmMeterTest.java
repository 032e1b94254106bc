package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.daemon.rpc.Call;
import dev.banger.host.proc.ProcessUsage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vm.usage over the real VmService and liveness ({@link FakeDaemon}: its VMM's pids are made up, so the process sampler
 * is a stand-in that says which pid it was asked for): a running VM's VMM is sampled over the interval asked, a stopped
 * one is not (and costs no wait), the interval is bounded, an unknown VM is NOT_FOUND.
 */
class VmMeterTest {
    @TempDir
    Path home;
    private FakeDaemon d;
    private final List<String> sampled = new CopyOnWriteArrayList<>();
    private final Instant now = Instant.parse("2026-12-02T10:00:00Z");
    private VmMeter meter;

    @BeforeEach
    void daemon() {
        d = new FakeDaemon(home);
        meter = new VmMeter(d.vms, (pid, interval) -> {
            sampled.add(pid + " " + interval.toMillis());
            return Optional.of(new ProcessUsage(3.0, 300L << 20));
        }, Clock.fixed(now, ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        d.close();
    }

    @Test
    void aRunningVmsVmmIsSampledOverTheIntervalAsked() {
        VmRecord vm = d.create("alpha");
        d.readyGuests.add("alpha");
        d.power.start(vm, Call.NONE);

        Params.VmUsageSample u = meter.usage(new Params.VmUsage("alpha", 1500L));

        long pid = d.vmm.running().get(vm.id());
        assertThat(sampled).containsExactly(pid + " 1500");
        assertThat(u).isEqualTo(new Params.VmUsageSample("alpha", vm.id(), "running", vm.spec().vcpus(), 3.0,
                Math.min(100.0, 300.0 / vm.spec().vcpus()), 300L << 20, 1500, now));
        assertThat(meter.usage(new Params.VmUsage(vm.id(), null)).intervalMs()).as("the default, by id")
                .isEqualTo(VmMeter.DEFAULT_INTERVAL.toMillis());
    }

    @Test
    void aVmThatDoesNotRunIsNotSampledAndMeasuresNothing() {
        VmRecord vm = d.create("beta");
        Params.VmUsageSample u = meter.usage(new Params.VmUsage("beta", 5000L));
        assertThat(sampled).isEmpty();
        assertThat(u.state()).isEqualTo("stopped");
        assertThat(u.vmId()).isEqualTo(vm.id());
        assertThat(u.cores()).isNull();
        assertThat(u.cpuPercent()).isNull();
        assertThat(u.rssBytes()).isNull();
    }

    @Test
    void aVmmGoneDuringTheSampleMeasuresNothing() {
        VmRecord vm = d.create("gamma");
        d.readyGuests.add("gamma");
        d.power.start(vm, Call.NONE);
        VmMeter gone = new VmMeter(d.vms, (pid, interval) -> Optional.empty(), Clock.systemUTC());
        Params.VmUsageSample u = gone.usage(new Params.VmUsage("gamma", 100L));
        assertThat(u.state()).isEqualTo("running");
        assertThat(u.rssBytes()).isNull();
    }

    @Test
    void theIntervalIsBoundedSoNoCallerHoldsBangerdLong() {
        d.create("delta");
        for (long ms : new long[] {99, 5001, 0, -1, 600_000}) {
            assertThatThrownBy(() -> meter.usage(new Params.VmUsage("delta", ms)))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessage("interval_ms " + ms + " is out of range: give 100 to 5000 ms (for a longer view, sample again)");
        }
        assertThat(VmMeter.interval(100L)).isEqualTo(Duration.ofMillis(100));
        assertThat(VmMeter.interval(5000L)).isEqualTo(Duration.ofSeconds(5));
        assertThat(sampled).isEmpty();
    }

    @Test
    void anUnknownVmIsNotFound() {
        assertThatThrownBy(() -> meter.usage(new Params.VmUsage("nonesuch", null)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
}
