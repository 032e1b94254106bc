package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.snapshot.SnapshotReconciler;
import dev.banger.daemon.snapshot.SnapshotService;
import dev.banger.daemon.snapshot.SnapshotVms;
import dev.banger.daemon.snapshot.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot room's orchestration over the fake VMM (root-free; the real thing is SnapshotIT and SnapshotCrashIT):
 * a take is all or nothing and resumes its VM; a restore goes isolated tap, resume, identity, then the bridge; a
 * snapshot a VM lies over is not removed; a fork whose child fails leaves nothing; reconcile undoes a take cut short.
 */
class SnapshotOrchestrationTest {
    @TempDir
    Path home;
    private FakeDaemon d;
    private SnapshotService snapshots;
    private SnapshotVms snapshotVms;

    @BeforeEach
    void start() {
        d = new FakeDaemon(home);
        wireSnapshots();
    }

    private void wireSnapshots() {
        SecureRandom random = new SecureRandom();
        snapshots = new SnapshotService(d.db.snapshots(), d.db.vms(), d.vms, d.locks, d.vmms, d.paths, Clock.systemUTC(), random, vm -> { });
        d.vms.afterDelete(snapshots::vmDeleted);
        Templates templates = new Templates(snapshots, null, d.vmms, dev.banger.core.BangerConfig.DEFAULTS, 1 << 20, random);
        snapshotVms = new SnapshotVms(snapshots, templates, d.db.vms(), Clock.systemUTC(), random);
    }

    @AfterEach
    void stop() {
        d.close();
    }

    private VmRecord running(String name) {
        d.create(name);
        d.readyGuests.add(name);
        return d.vms.start(name, Call.NONE);
    }

    @Test
    void aSnapshotIsWholeAndItsVmRunsOn() {
        running("web");
        SnapshotRecord s = snapshots.snapshot(new Params.VmSnapshot("web", "before"));
        assertThat(s.state()).isEqualTo(SnapshotRecord.READY);
        assertThat(Path.of(s.dir()).resolve("state")).exists();
        assertThat(Path.of(s.dir()).resolve("work.img")).as("the work disk copied").exists();
        assertThat(d.vmm.calls()).containsSubsequence("saveState web", "resume web");
        assertThat(d.vmm.paused(d.get("web"), null)).isFalse();
    }

    @Test
    void aFailedSaveLeavesNoRowNoFileAndResumesTheVm() {
        running("web");
        d.vmm.failOn("saveState", new BangerException(ErrorCode.HOST_FAILURE, "the disk broke"));
        assertThatThrownBy(() -> snapshots.snapshot(new Params.VmSnapshot("web", "before"))).hasMessageContaining("the disk broke");
        assertThat(snapshots.list().snapshots()).isEmpty();
        assertThat(d.paths.snapshotsDir()).isEmptyDirectory();
        assertThat(d.vmm.paused(d.get("web"), null)).as("resumed").isFalse();
        assertThat(d.get("web").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    void aRestoreResumesOffTheBridgeIsReidentifiedThenJoinsIt() {
        running("web");
        snapshots.snapshot(new Params.VmSnapshot("web", "before"));
        VmRecord child = snapshotVms.create(new Params.VmCreate("copy", null, null, null, null, null, null, "before", null));
        assertThat(child.runtime().fromSnapshot()).isNotNull();
        d.readyGuests.add("copy");
        VmRecord started = d.vms.start("copy", Call.NONE);
        assertThat(started.state()).isEqualTo(VmState.RUNNING);
        assertThat(d.vmm.calls()).contains("prepareRootFromSnapshot copy", "launchRestored copy").doesNotContain("launch copy");
        assertThat(d.reidentified).containsExactly("copy");
        String tap = dev.banger.core.net.InterfaceNames.tapFor(child.id());
        assertThat(d.network.log()).containsSubsequence("create isolated " + tap, "create " + tap);
        assertThat(Path.of(child.runtime().vmDir()).resolve("restoring")).as("the marker goes once it is its own").doesNotExist();

        assertThatThrownBy(() -> snapshots.delete("before")).hasMessageContaining("copy");
        d.vms.stop("copy", true);
        d.vms.start("copy", Call.NONE);
        assertThat(d.vmm.calls()).as("a restart boots its own disks").contains("launch copy");
        d.vms.delete("copy", true);
        snapshots.delete("before");
        assertThat(snapshots.list().snapshots()).isEmpty();
    }

    @Test
    void aVmMadeOverASnapshotKeepsItsPublishedPorts() {
        running("web");
        snapshots.snapshot(new Params.VmSnapshot("web", "before"));
        VmRecord child = snapshotVms.create(new Params.VmCreate("copy", null, null, null, null, null, null, "before", null,
                java.util.List.of("18080:80"), null));
        assertThat(child.publishes()).extracting(dev.banger.api.PublishedPort::spec).containsExactly("127.0.0.1:18080:80/tcp");
        d.vms.delete("copy", true);
    }

    @Test
    void aSnapshotThisHostCannotTakeIsRefusedBeforeAnythingIsAttached() throws Exception {
        running("web");
        snapshots.snapshot(new Params.VmSnapshot("web", "before"));
        // As if QEMU had been upgraded since: the saved state names another version.
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + d.paths.database());
             var st = c.createStatement()) {
            st.executeUpdate("UPDATE snapshots SET vmm_version = '6.0.0', accelerator = 'kvm'");
        }
        VmRecord child = snapshotVms.create(new Params.VmCreate("copy", null, null, null, null, null, null, "before", null));
        int callsBefore = d.vmm.calls().size();
        assertThatThrownBy(() -> d.vms.start("copy", Call.NONE)).hasMessageContaining("6.0.0").hasMessageContaining("accelerator kvm");
        assertThat(d.vmm.calls().subList(callsBefore, d.vmm.calls().size())).as("nothing prepared or launched")
                .noneMatch(c -> c.startsWith("prepare") || c.startsWith("launch"));
        assertThat(d.network.tapSet()).doesNotContain(dev.banger.core.net.InterfaceNames.tapFor(child.id()));
        assertThat(Path.of(child.runtime().systemOverlay())).doesNotExist();
    }

    @Test
    void aSpecOtherThanTheSnapshotsIsRefusedNamingIt() {
        running("web");
        snapshots.snapshot(new Params.VmSnapshot("web", "before"));
        assertThatThrownBy(() -> snapshotVms.create(new Params.VmCreate("big", null, 8, null, null, null, null, "before", null)))
                .hasMessageContaining("--cpus 8");
        assertThat(d.db.vms().findByName("big")).isEmpty();
    }

    @Test
    void aForkWhoseChildFailsLeavesNoChildAndNoSnapshot() {
        running("web");
        d.readyGuests.addAll(List.of("web-1", "web-2"));
        d.vmm.failOn("launchRestored", new BangerException(ErrorCode.HOST_FAILURE, "no memory for a child"));
        assertThatThrownBy(() -> snapshotVms.fork(new Params.VmFork("web", 2, null), Call.NONE)).hasMessageContaining("nothing was kept");
        assertThat(d.db.vms().findByName("web-1")).isEmpty();
        assertThat(d.db.vms().findByName("web-2")).isEmpty();
        assertThat(snapshots.list().snapshots()).isEmpty();
        assertThat(d.get("web").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    void aForkMakesRunningChildrenAndItsLayerGoesWithTheLast() {
        running("web");
        d.readyGuests.addAll(List.of("web-1", "web-2"));
        Params.VmForked f = snapshotVms.fork(new Params.VmFork("web", 2, null), Call.NONE);
        assertThat(f.children()).extracting(VmRecord::name).containsExactly("web-1", "web-2");
        assertThat(f.children()).allMatch(vm -> vm.state() == VmState.RUNNING);
        assertThat(snapshots.get(f.snapshot()).state()).isEqualTo(SnapshotRecord.READY);
        d.vms.delete("web-1", true);
        assertThat(snapshots.list().snapshots()).hasSize(1);
        d.vms.delete("web-2", true);
        assertThat(snapshots.list().snapshots()).as("the fork's layer went with its last child").isEmpty();
    }

    @Test
    void reconcileUndoesATakeCutShortAndResumesItsVm() throws Exception {
        running("web");
        d.vmm.failOn("saveState", new FakeVmmCrash());
        assertThatThrownBy(() -> snapshots.snapshot(new Params.VmSnapshot("web", "cut"))).isInstanceOf(FakeVmmCrash.class);
        assertThat(snapshots.list().snapshots()).extracting(SnapshotRecord::state).containsExactly(SnapshotRecord.TAKING);
        assertThat(d.vmm.paused(d.get("web"), null)).as("left paused by the crash").isTrue();
        Files.createDirectories(d.paths.snapshotDir("0123456789ab")); // a directory no row names

        d.restart();
        wireSnapshots();
        new SnapshotReconciler(snapshots, d.db.vms(), d.vmms, d.paths).reconcile();
        assertThat(snapshots.list().snapshots()).isEmpty();
        assertThat(d.paths.snapshotsDir()).isEmptyDirectory();
        assertThat(d.vmm.paused(d.get("web"), null)).isFalse();
        assertThat(d.get("web").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    void aPauseStopsTheVmKeepingItsDisksAndItsNextStartResumesItInPlaceOnce() throws Exception {
        VmRecord web = running("web");
        Files.writeString(Path.of(web.runtime().systemOverlay()), "the guest's own root");
        SnapshotRecord p = snapshots.pause("web");
        assertThat(p.kind()).isEqualTo(SnapshotRecord.PAUSE);
        assertThat(p.state()).isEqualTo(SnapshotRecord.READY);
        assertThat(Path.of(p.dir()).resolve("work.img")).as("a pause keeps the VM's own work disk").doesNotExist();
        assertThat(d.get("web").state()).isEqualTo(VmState.STOPPED);
        assertThat(d.vmm.runs(web)).as("no VMM: no CPU, no memory").isFalse();
        int mark = d.vmm.calls().size();
        assertThat(d.vmm.calls()).containsSubsequence("saveState web", "kill -").doesNotContain("resume web");
        assertThatThrownBy(() -> snapshotVms.create(new Params.VmCreate("copy", null, null, null, null, null, null, p.name(), null)))
                .hasMessageContaining("pause of VM web");

        VmRecord resumed = d.vms.start("web", Call.NONE);
        assertThat(resumed.state()).isEqualTo(VmState.RUNNING);
        List<String> calls = d.vmm.calls().subList(mark, d.vmm.calls().size());
        assertThat(calls).contains("prepareRoot web", "launchRestored web").doesNotContain("prepareRootFromSnapshot web", "launch web");
        assertThat(Files.readString(Path.of(web.runtime().systemOverlay()))).as("its own disks, untouched").isEqualTo("the guest's own root");
        assertThat(d.reidentified).contains("web");
        assertThat(snapshots.list().snapshots()).as("a pause is resumed once, then removed").isEmpty();
        assertThat(Path.of(p.dir())).doesNotExist();

        d.vms.stop("web", true);
        d.vms.start("web", Call.NONE);
        assertThat(d.vmm.calls().getLast()).as("a later start boots").isEqualTo("launch web");
    }

    @Test
    void aFailedPauseKeepsNothingAndTheVmRunsOn() {
        running("web");
        d.vmm.failOn("saveState", new BangerException(ErrorCode.HOST_FAILURE, "the disk broke"));
        assertThatThrownBy(() -> snapshots.pause("web")).hasMessageContaining("the disk broke");
        assertThat(snapshots.list().snapshots()).isEmpty();
        assertThat(d.paths.snapshotsDir()).isEmptyDirectory();
        assertThat(d.get("web").state()).isEqualTo(VmState.RUNNING);
        assertThat(d.vmm.paused(d.get("web"), null)).isFalse();
        assertThatThrownBy(() -> snapshots.pause("nope")).isInstanceOf(BangerException.class);
    }

    @Test
    void aPausedVmDeletedTakesItsPauseWithIt() {
        running("web");
        SnapshotRecord p = snapshots.pause("web");
        d.vms.delete("web", true);
        assertThat(snapshots.list().snapshots()).isEmpty();
        assertThat(Path.of(p.dir())).doesNotExist();
    }

    @Test
    void reconcileUndoesAPauseCutShortAndTheVmRunsOn() throws Exception {
        running("web");
        d.vmm.failOn("saveState", new FakeVmmCrash());
        assertThatThrownBy(() -> snapshots.pause("web")).isInstanceOf(FakeVmmCrash.class);
        d.restart();
        wireSnapshots();
        new SnapshotReconciler(snapshots, d.db.vms(), d.vmms, d.paths).reconcile();
        assertThat(snapshots.list().snapshots()).isEmpty();
        assertThat(d.get("web").state()).isEqualTo(VmState.RUNNING);
        assertThat(d.vmm.paused(d.get("web"), null)).isFalse();
    }

    @Test
    void aPauseCutShortAfterItsSaveIsFinishedByReconcile() throws Exception {
        running("web");
        d.vmm.failOn("kill", new FakeVmmCrash()); // the daemon dies after the save, as the VMM is being killed
        assertThatThrownBy(() -> snapshots.pause("web")).isInstanceOf(FakeVmmCrash.class);
        d.restart(); // the VM was stopping: reconcile finishes its stop, in the background
        wireSnapshots();
        new SnapshotReconciler(snapshots, d.db.vms(), d.vmms, d.paths).reconcile();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (d.get("web").state() != VmState.STOPPED && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(snapshots.list().snapshots()).as("the state was whole: the pause holds").hasSize(1);
        d.vms.start("web", Call.NONE);
        assertThat(d.vmm.calls().getLast()).isEqualTo("launchRestored web");
        assertThat(snapshots.list().snapshots()).isEmpty();
    }

    @Test
    void anInPlaceResumeCutShortKeepsTheVmsDisksAndSpendsThePause() throws Exception {
        VmRecord web = running("web");
        Files.writeString(Path.of(web.runtime().systemOverlay()), "the guest's own root");
        snapshots.pause("web");
        d.vmm.failOn("launchRestored", new FakeVmmCrash());
        assertThatThrownBy(() -> d.vms.start("web", Call.NONE)).isInstanceOf(FakeVmmCrash.class);
        d.restart();
        wireSnapshots();
        new SnapshotReconciler(snapshots, d.db.vms(), d.vmms, d.paths).reconcile();
        assertThat(d.get("web").state()).isEqualTo(VmState.STOPPED);
        assertThat(Files.readString(Path.of(web.runtime().systemOverlay()))).isEqualTo("the guest's own root");
        assertThat(snapshots.list().snapshots()).as("never resumed twice: the guest may have written its disks").isEmpty();
        d.vms.start("web", Call.NONE);
        assertThat(d.vmm.calls().getLast()).isEqualTo("launch web");
    }

    /** A daemon killed in the middle of a save: an Error, which no undo catches. */
    static final class FakeVmmCrash extends Error {
        FakeVmmCrash() {
            super("daemon killed while saving");
        }
    }
}
