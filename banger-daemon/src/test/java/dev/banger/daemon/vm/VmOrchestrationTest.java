package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.StatePaths.VmFile;
import dev.banger.core.net.InterfaceNames;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vmm.FakeVmm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Start, stop, delete and reconcile over a fake VMM and network ({@link FakeDaemon}): the order of the
 * steps, what a failure at each leaves, the undo, the lock a hanging boot does not hold, and what a
 * daemon killed at any step leaves for the next one. No root, no QEMU: seconds.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class VmOrchestrationTest {
    @TempDir
    Path home;
    private FakeDaemon d;

    @BeforeEach
    void daemon() {
        d = new FakeDaemon(home);
    }

    @AfterEach
    void close() {
        d.close();
    }

    /** The phases a start went through; also a call the tests can extend. */
    static class Steps implements Call {
        final List<String> phases = new ArrayList<>();

        @Override
        public synchronized void progress(dev.banger.api.Params.Progress p) {
            if (phases.isEmpty() || !phases.getLast().equals(p.phase())) {
                phases.add(p.phase());
            }
        }

        @Override
        public boolean cancelled() {
            return false;
        }

        @Override
        public dev.banger.daemon.rpc.Caller caller() {
            return Call.NONE.caller();
        }
    }

    /** A start on a thread of its own (never the common pool, which a hung start would block); what it threw, or null. */
    private CompletableFuture<Throwable> startInBackground(VmRecord vm) {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                d.power.start(vm, Call.NONE);
                done.complete(null);
            } catch (Throwable e) {
                done.complete(e);
            }
        });
        return done;
    }

    private String tap(VmRecord vm) {
        return InterfaceNames.tapFor(vm.id());
    }

    @Test
    void aStartRunsItsStepsInOrderAndLeavesARunningVm() {
        VmRecord vm = d.create("alpha");
        d.readyGuests.add("alpha");
        Steps progress = new Steps();

        VmRecord running = d.power.start(vm, progress);

        assertThat(running.state()).isEqualTo(VmState.RUNNING);
        assertThat(progress.phases).as("progress follows StartStep").containsExactly("image", "disks", "config", "network", "mounts", "boot", "guest");
        assertThat(d.vmm.calls()).containsExactly("prepareRoot alpha", "launch alpha");
        assertThat(d.network.tapSet()).containsExactly(tap(vm));
        assertThat(d.handles.load(running).vmmPid()).isEqualTo(d.vmm.running().get(vm.id()));
        Path dir = Path.of(vm.runtime().vmDir());
        assertThat(VmFile.CONFIG_DRIVE.in(dir)).exists();
        assertThat(VmFile.KNOWN_HOSTS.in(dir)).exists();
        assertThat(VmFile.AGENT_TOKEN.in(dir)).exists();
        assertThat(d.power.start(running, progress).state()).as("starting a running VM is a no-op").isEqualTo(VmState.RUNNING);
        assertThat(d.vmm.calls()).hasSize(2);
    }

    @Test
    void aFailedLaunchIsUndoneInReverseAndLeavesTheVmInErrorWithTheReason() {
        VmRecord vm = d.create("beta");
        d.vmm.failOn("launch", new BangerException(ErrorCode.BOOT_FAILED, "the fake VMM refused to boot"));

        assertThatThrownBy(() -> d.power.start(vm, Call.NONE)).isInstanceOfSatisfying(BangerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BOOT_FAILED)).hasMessageContaining("refused to boot");

        VmRecord after = d.get("beta");
        assertThat(after.state()).isEqualTo(VmState.ERROR);
        assertThat(after.runtime().lastError()).contains("refused to boot");
        assertThat(d.network.tapSet()).as("the tap the network step made is removed").isEmpty();
        assertThat(d.network.log()).containsSubsequence("create " + tap(vm), "delete " + tap(vm));
        assertThat(d.vmm.calls()).as("undo in reverse: network, then disks").containsExactly("prepareRoot beta", "launch beta", "releaseRoot beta");
        assertThat(d.handles.load(after).isEmpty()).isTrue();
        assertThat(d.vmm.runs(after)).isFalse();
    }

    @Test
    void aFailureInAnEarlyStepUndoesOnlyWhatWasDone() {
        VmRecord vm = d.create("gamma");
        d.vmm.failOn("prepareRoot", new BangerException(ErrorCode.HOST_FAILURE, "no space for the overlay"));

        assertThatThrownBy(() -> d.power.start(vm, Call.NONE)).hasMessageContaining("no space for the overlay");

        assertThat(d.vmm.calls()).containsExactly("prepareRoot gamma");
        assertThat(d.network.log()).as("the network step never ran").isEmpty();
        assertThat(d.get("gamma").state()).isEqualTo(VmState.ERROR);
    }

    @Test
    void aVmmThatDiesDuringBootIsABootFailure() throws Exception {
        VmRecord vm = d.create("delta");
        CompletableFuture<Throwable> start = startInBackground(vm);
        assertThat(await(() -> d.vmm.runs(d.get("delta")))).isTrue();
        d.vmm.die(d.get("delta"));

        Throwable t = start.get(30, TimeUnit.SECONDS);
        assertThat(t).isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BOOT_FAILED))
                .hasMessageContaining("FakeVMM exited during boot");
        assertThat(d.get("delta").state()).isEqualTo(VmState.ERROR);
        assertThat(d.network.tapSet()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(names = {"STOP", "DELETE"})
    void stopOrDeleteOfAVmWhoseBootHangsActsWithinTwoSecondsAndTheStartSeesItWasCancelled(Overtaker how) throws Exception {
        VmRecord vm = d.create("hangs");
        CompletableFuture<Throwable> start = startInBackground(vm);
        assertThat(await(() -> d.vmm.runs(d.get("hangs")))).as("booted, waiting for a guest that never answers").isTrue();

        long t0 = System.nanoTime();
        if (how == Overtaker.STOP) {
            assertThat(d.vms.stop("hangs", false).state()).isEqualTo(VmState.STOPPED);
        } else {
            d.vms.delete("hangs", true);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        Throwable t = start.get(5, TimeUnit.SECONDS);

        assertThat(took).isLessThan(Duration.ofSeconds(2));
        assertThat(t).isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED))
                .hasMessageContaining(how == Overtaker.STOP ? "was stopped while it was starting" : "was deleted while it was starting");
        assertThat(d.vmm.running()).as("the VMM was killed").isEmpty();
        assertThat(d.network.tapSet()).isEmpty();
        if (how == Overtaker.STOP) {
            VmRecord after = d.get("hangs");
            assertThat(after.state()).as("the start did not overwrite the stop").isEqualTo(VmState.STOPPED);
            assertThat(after.runtime().lastError()).isNull();
        } else {
            assertThatThrownBy(() -> d.get("hangs")).isInstanceOfSatisfying(BangerException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        }
    }

    enum Overtaker { STOP, DELETE }

    @Test
    void stopAndDeleteOfARunningVmLeaveNothing() {
        VmRecord vm = d.create("epsilon");
        d.readyGuests.add("epsilon");
        d.power.start(vm, Call.NONE);

        assertThat(d.vms.stop("epsilon", false).state()).isEqualTo(VmState.STOPPED);
        assertThat(d.vmm.calls()).contains("stop epsilon");
        assertThat(d.network.tapSet()).isEmpty();

        d.power.start(d.get("epsilon"), Call.NONE);
        d.vms.delete("epsilon", true);
        assertThat(d.vmm.running()).isEmpty();
        assertThat(d.network.tapSet()).isEmpty();
        assertThat(Path.of(vm.runtime().vmDir())).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(value = StartStep.class, names = {"IMAGE", "DISKS", "CONFIG", "NETWORK", "BOOT"})
    void aDaemonKilledAfterAnyStartStepLeavesTheNextOneAWholeVm(StartStep killedAfter) throws Exception {
        VmRecord vm = d.create("phoenix");
        CompletableFuture<Throwable> oldStart = null;
        // kill -9 right after the step: an Error, which no undo catches, at the next step's first call
        Throwable crash = new FakeVmm.DaemonCrash("after " + killedAfter.wireName());
        switch (killedAfter) {
            case IMAGE -> d.vmm.failOn("prepareRoot", crash);
            case DISKS, CONFIG, NETWORK -> d.vmm.failOn("launch", crash);
            case BOOT -> { }
            default -> throw new IllegalStateException();
        }
        if (killedAfter == StartStep.BOOT) {
            // Killed while waiting for the guest: the VMM runs; the next daemon keeps it.
            // The old daemon's start goes on polling until it is interrupted below, as it would have died.
            oldStart = startInBackground(vm);
            assertThat(await(() -> d.vmm.runs(d.get("phoenix")))).isTrue();
        } else {
            assertThatThrownBy(() -> d.power.start(vm, Call.NONE)).isInstanceOf(FakeVmm.DaemonCrash.class);
        }

        VmPower oldPower = d.power;
        Reconciler.Report report = d.restart();
        if (oldStart != null) {
            oldPower.cancelStart(vm.id(), "killed with its daemon");
            assertThat(oldStart.get(10, TimeUnit.SECONDS)).isNotNull();
        }

        VmRecord after = d.get("phoenix");
        if (killedAfter == StartStep.BOOT) {
            assertThat(after.state()).isEqualTo(VmState.RUNNING);
            assertThat(report.kept()).isEqualTo(1);
            assertThat(d.network.tapSet()).containsExactly(tap(vm));
        } else {
            assertThat(after.state()).isEqualTo(VmState.STOPPED);
            assertThat(after.runtime().lastError()).contains("no VMM when bangerd started");
            assertThat(d.network.tapSet()).as("no tap without a VMM").isEmpty();
            assertThat(d.handles.load(after).isEmpty()).isTrue();
            d.readyGuests.add("phoenix");
            assertThat(d.power.start(after, Call.NONE).state()).as("and it starts again").isEqualTo(VmState.RUNNING);
        }
    }

    @Test
    void reconcileKeepsDemotesAdoptsAndLeavesUnknownVmmsAlone() throws Exception {
        VmRecord kept = d.create("kept");
        VmRecord crashed = d.create("crashed");
        VmRecord restored = d.create("restored");
        d.readyGuests.addAll(List.of("kept", "crashed"));
        d.power.start(kept, Call.NONE);
        d.power.start(crashed, Call.NONE);
        long stranger = d.vmm.adopt("0000000000ff"); // a VMM in vms/ that no record owns
        long backup = d.vmm.adopt(restored.id());    // a VMM under a record that says stopped

        d.vmm.die(d.get("crashed"));
        Reconciler.Report report = d.restart();

        assertThat(d.get("kept").state()).isEqualTo(VmState.RUNNING);
        assertThat(d.get("crashed").state()).isEqualTo(VmState.STOPPED);
        assertThat(d.get("restored").state()).as("adopted, not killed").isEqualTo(VmState.RUNNING);
        assertThat(d.vmm.running()).containsValues(stranger, backup);
        assertThat(report.demoted()).containsExactly("crashed");
        assertThat(report.adopted()).containsExactly("restored");
        assertThat(report.unknownVmms()).anyMatch(s -> s.contains("pid " + stranger));
        assertThat(d.network.tapSet()).doesNotContain(tap(crashed)).contains(tap(kept));
    }

    private static boolean await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
