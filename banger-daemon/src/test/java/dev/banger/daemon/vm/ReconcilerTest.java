package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.core.BangerConfig;
import dev.banger.core.NewVm;
import dev.banger.core.StatePaths;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.net.HostNetworking;
import dev.banger.daemon.vmm.FirecrackerVmm;
import dev.banger.daemon.vmm.QemuVmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.net.Executor;
import dev.banger.host.net.NetworkHost;
import dev.banger.host.net.ProcessExecutor;
import dev.banger.host.net.Sysctls;
import dev.banger.host.vm.VmHandles;
import dev.banger.store.Database;
import dev.banger.store.VmStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reconcile and liveness with the daemon's real parts: a real SQLite file, real (paused) QEMU processes,
 * real taps in a network namespace this test makes; every network command goes through the host command
 * runner, which records it.
 */
@Tag("privileged")
class ReconcilerTest {
    private static final ProcessExecutor HOST = new ProcessExecutor(Duration.ofSeconds(20));

    @TempDir
    Path home;
    private String netns;
    private final List<List<String>> ran = Collections.synchronizedList(new ArrayList<>());
    private StatePaths paths;
    private Database db;
    private VmStore store;
    private VmHandleCache handles;
    private VmLiveness liveness;
    private VmPower power;
    private VmService vms;
    private Reconciler reconciler;
    private VmTransitions transitions;
    private QemuVmm vmm;
    private final List<PausedQemu> qemus = new ArrayList<>();

    @BeforeEach
    void parts() {
        netns = "banger-test-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        assertThat(HOST.run(List.of("ip", "netns", "add", netns)).ok()).isTrue();
        Executor inNetns = argv -> {
            ran.add(argv);
            List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", netns));
            wrapped.addAll(argv);
            return HOST.run(wrapped);
        };
        Sysctls sysctls = new Sysctls() {
            @Override
            public String read(String key) {
                return inNetns.run(List.of("sysctl", "-n", key)).stdout().strip();
            }

            @Override
            public void write(String key, String value) {
                inNetns.run(List.of("sysctl", "-w", key + "=" + value));
            }
        };
        paths = StatePaths.forHome(home);
        db = Database.open(home.resolve("state.db"));
        store = db.vms();
        Clock clock = Clock.systemUTC();
        BangerConfig.Settings settings = BangerConfig.DEFAULTS;
        HostNetworking network = new HostNetworking(new NetworkHost(inNetns, sysctls), settings, name -> Optional.empty());
        ImageService images = new ImageService(paths, home, store, clock, new SecureRandom());
        vmm = new QemuVmm(Accelerator.Mode.TCG, KernelArgs.Verbosity.QUIET, paths);
        handles = new VmHandleCache();
        Vmms vmms = Vmms.of(vmm, new FirecrackerVmm(Accelerator.Mode.KVM, KernelArgs.Verbosity.QUIET,
                dev.banger.core.BangerConfig.DEFAULTS.firecracker(), paths));
        liveness = new VmLiveness(vmms, handles);
        VmLocks locks = new VmLocks();
        transitions = new VmTransitions(store, clock, new VmDescriptors(db.homeId(), paths.vmsDir()));
        power = new VmPower(store, paths, images, vmms, network, locks, clock, handles, liveness, transitions, vm -> GuestProbe.Readiness.NOT_YET);
        vms = new VmService(store, paths, settings, 1 << 20, clock, new SecureRandom(), locks, power, images, transitions);
        reconciler = new Reconciler(store, paths.vmsDir(), vms, power, liveness, handles, network, transitions);
    }

    @AfterEach
    void cleanUp() {
        qemus.forEach(PausedQemu::close);
        db.close();
        HOST.run(List.of("ip", "netns", "del", netns));
    }

    /** A recorded VM in {@code state}, its directory made. */
    private VmRecord vm(String id, String name, VmState state) throws Exception {
        VmRecord vm = NewVm.record(id, new VmSpec(name, "debian-bookworm", 1, 512, 0, 4096, "qemu"), paths,
                "172.29.0." + (store.count() + 2), store.count() + 3, java.time.Instant.now());
        store.insert(vm);
        vm = vm.withRuntime(vm.runtime().withState(state, null), java.time.Instant.now());
        store.updateRuntime(id, vm.runtime(), vm.updatedAt());
        Files.createDirectories(Path.of(vm.runtime().vmDir()));
        return vm;
    }

    private PausedQemu qemuFor(VmRecord vm) {
        PausedQemu q = PausedQemu.on(Path.of(vm.runtime().apiSockPath()));
        qemus.add(q);
        return q;
    }

    /** A tap as banger leaves one: up (attachTap brings it up), held by no process. */
    private void tap(String name) {
        assertThat(HOST.run(List.of("ip", "netns", "exec", netns, "ip", "tuntap", "add", "dev", name, "mode", "tap")).ok()).isTrue();
        assertThat(HOST.run(List.of("ip", "netns", "exec", netns, "ip", "link", "set", "dev", name, "up")).ok()).isTrue();
    }

    private boolean tapExists(String name) {
        return HOST.run(List.of("ip", "netns", "exec", netns, "ip", "link", "show", name)).ok();
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private VmRecord reload(VmRecord vm) {
        return store.findById(vm.id()).orElseThrow();
    }

    @Test
    void rediscoveryPrefersTheProcessScanOverTheScratchFile() throws Exception {
        VmRecord vm = vm("0000000000a1", "scanned", VmState.RUNNING);
        handles.put(vm, VmHandles.NONE.withTap("bgr0000000000a1").withPid(deadPid()));
        PausedQemu q = qemuFor(vm);

        VmHandles found = liveness.rediscoverHandles(vm);

        assertThat(found.vmmPid()).isEqualTo(q.pid());
        assertThat(found.tap()).isEqualTo("bgr0000000000a1");
        assertThat(liveness.vmAlive(vm)).isTrue();
    }

    @Test
    void rediscoveryReturnsTheScratchContentsWhenTheProcessIsDead() throws Exception {
        VmRecord vm = vm("0000000000a2", "gone", VmState.RUNNING);
        long dead = deadPid();
        handles.put(vm, VmHandles.NONE.withTap("bgr0000000000a2").withPid(dead));

        assertThat(liveness.rediscoverHandles(vm)).isEqualTo(VmHandles.NONE.withTap("bgr0000000000a2").withPid(dead));
        assertThat(liveness.vmAlive(vm)).isFalse();
    }

    @Test
    void aCachedPidThatIsNoLongerTheVmsVmmDoesNotCountAsAlive() throws Exception {
        VmRecord vm = vm("0000000000a3", "reused", VmState.RUNNING);
        // This JVM's own pid: alive, but its command line names no QMP socket (as a reused pid would not).
        handles.put(vm, VmHandles.NONE.withTap("bgr0000000000a3").withPid(ProcessHandle.current().pid()));
        assertThat(liveness.vmAlive(vm)).isFalse();
    }

    @Test
    void aVmWhoseVmmIsGoneIsTornDownFromItsHandlesAndDemoted() throws Exception {
        VmRecord vm = vm("0000000000b1", "crashed", VmState.RUNNING);
        long dead = deadPid();
        Files.writeString(Path.of(vm.runtime().vmDir()).resolve("handles.json"), VmHandles.NONE.withTap("bgr0000000000b1").withPid(dead).toJson());
        tap("bgr0000000000b1");

        Reconciler.Report report = reconciler.reconcile();

        assertThat(ran).contains(dev.banger.core.net.NetCommands.deleteLink("bgr0000000000b1"));
        assertThat(tapExists("bgr0000000000b1")).isFalse();
        VmRecord after = reload(vm);
        assertThat(after.state()).isEqualTo(VmState.STOPPED);
        assertThat(after.runtime().lastError()).contains("found running").contains("pid " + dead + " was gone");
        assertThat(Path.of(vm.runtime().vmDir()).resolve("handles.json")).doesNotExist();
        assertThat(report.demoted()).containsExactly("crashed");
    }

    @Test
    void aVmWhoseVmmRunsIsKeptSeededAndWatched() throws Exception {
        VmRecord vm = vm("0000000000c1", "alive", VmState.STARTING);
        Files.writeString(Path.of(vm.runtime().vmDir()).resolve("handles.json"), VmHandles.NONE.withTap("bgr0000000000c1").withPid(deadPid()).toJson());
        tap("bgr0000000000c1");
        PausedQemu q = qemuFor(vm);

        Reconciler.Report report = reconciler.reconcile();

        assertThat(report.kept()).isEqualTo(1);
        assertThat(reload(vm).state()).isEqualTo(VmState.RUNNING);
        assertThat(handles.get(vm.id()).orElseThrow().vmmPid()).isEqualTo(q.pid());
        assertThat(handles.load(vm).vmmPid()).as("the scratch file now names the live pid").isEqualTo(q.pid());
        assertThat(tapExists("bgr0000000000c1")).as("a running VM keeps its tap").isTrue();

        // The watcher: a VMM that exits while the daemon is up demotes its VM within seconds.
        q.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (reload(vm).state() != VmState.STOPPED && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(reload(vm).state()).isEqualTo(VmState.STOPPED);
        assertThat(tapExists("bgr0000000000c1")).isFalse();
    }

    @Test
    void halfDoneCreatesAndDeletesAreFinishedAndWhatTheDatabaseDoesNotKnowIsLeftAlone() throws Exception {
        VmRecord creating = vm("0000000000d1", "half-created", VmState.CREATING);
        VmRecord deleting = vm("0000000000d2", "half-deleted", VmState.DELETING);
        VmRecord resting = vm("0000000000d3", "resting", VmState.STOPPED);
        Files.writeString(Path.of(resting.runtime().vmDir()).resolve("handles.json"), VmHandles.NONE.withTap("bgr0000000000d3").toJson());
        Path unknownDir = Files.createDirectories(paths.vmsDir().resolve("0000000000e1"));
        Files.writeString(unknownDir.resolve("work.img"), "someone's data");
        Path notOurs = Files.createDirectories(paths.vmsDir().resolve("notes"));
        tap("bgr0000000000e2");
        // A tap that is down tells nothing about who holds it: never removed.
        assertThat(HOST.run(List.of("ip", "netns", "exec", netns, "ip", "tuntap", "add", "dev", "bgr0000000000e4", "mode", "tap")).ok()).isTrue();
        PausedQemu unknownVmm = PausedQemu.on(paths.vmsDir().resolve("0000000000e3").resolve("api.sock"));
        qemus.add(unknownVmm);

        Reconciler.Report report = reconciler.reconcile();

        assertThat(store.findById(creating.id())).isEmpty();
        assertThat(Path.of(creating.runtime().vmDir())).doesNotExist();
        assertThat(store.findById(deleting.id())).isEmpty();
        assertThat(Path.of(deleting.runtime().vmDir())).doesNotExist();
        assertThat(reload(resting).state()).isEqualTo(VmState.STOPPED);
        assertThat(Path.of(resting.runtime().vmDir()).resolve("handles.json")).doesNotExist();
        assertThat(Path.of(resting.runtime().vmDir())).exists();
        assertThat(unknownDir.resolve("work.img")).as("a directory the database does not know is never removed").hasContent("someone's data");
        assertThat(notOurs).exists();
        assertThat(unknownVmm.isAlive()).as("a VMM the database does not know is never killed").isTrue();
        assertThat(tapExists("bgr0000000000e2")).as("an idle tap is removed").isFalse();
        assertThat(tapExists("bgr0000000000e4")).isTrue();
        assertThat(report.undone()).containsExactly("half-created");
        assertThat(report.finishedDeletes()).containsExactly("half-deleted");
        assertThat(report.orphanTaps()).containsExactly("bgr0000000000e2");
        assertThat(report.unknownVmms()).hasSize(1).allMatch(s -> s.contains("pid " + unknownVmm.pid()));
        assertThat(report.unknownDirs()).anyMatch(s -> s.startsWith("0000000000e1")).anyMatch(s -> s.startsWith("0000000000e3"))
                .anyMatch(s -> s.startsWith("notes"));
        assertThat(report.summary()).contains("left running").contains("daemon recover");
    }

    @Test
    void aVmRecordedAtRestWhoseVmmRunsIsAdoptedNotKilled() throws Exception {
        VmRecord vm = vm("0000000000f1", "restored-backup", VmState.STOPPED);
        PausedQemu q = qemuFor(vm);

        Reconciler.Report report = reconciler.reconcile();

        assertThat(q.isAlive()).isTrue();
        assertThat(reload(vm).state()).isEqualTo(VmState.RUNNING);
        assertThat(handles.get(vm.id()).orElseThrow().vmmPid()).isEqualTo(q.pid());
        assertThat(report.adopted()).containsExactly("restored-backup");
    }

    @Test
    void everyRecordGetsItsDescriptorWithThisHomesIdentity() throws Exception {
        VmRecord vm = vm("0000000000f2", "legacy", VmState.STOPPED);
        Path descriptor = Path.of(vm.runtime().vmDir()).resolve(dev.banger.core.VmDescriptor.FILE);
        assertThat(descriptor).as("made before descriptors existed").doesNotExist();

        reconciler.reconcile();

        dev.banger.core.VmDescriptor d = dev.banger.core.VmDescriptor.parse(Files.readString(descriptor), paths.vmsDir(),
                Path.of(vm.runtime().vmDir()));
        assertThat(d.homeId()).isEqualTo(db.homeId());
        assertThat(d.vm().name()).isEqualTo("legacy");
    }
}
