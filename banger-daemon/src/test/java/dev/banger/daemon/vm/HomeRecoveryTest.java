package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.core.NewVm;
import dev.banger.core.StatePaths;
import dev.banger.core.VmDescriptor;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.daemon.vmm.FirecrackerVmm;
import dev.banger.daemon.vmm.QemuVmm;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery from VM directories' descriptors into a real SQLite file, and the refusal that points there. */
class HomeRecoveryTest {
    private static final String OLD_HOME = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path home;

    private StatePaths paths() {
        return StatePaths.forHome(home);
    }

    /** A VM directory as a daemon of {@code homeId} left it: the directory, its vm.json and some work. */
    private VmRecord leftBehind(String id, String name, String ip, long cid, VmState state, String homeId) throws Exception {
        VmRecord vm = NewVm.record(id, new VmSpec(name, "debian-bookworm", 1, 512, 0, 4096, "qemu"), paths(), ip, cid,
                Instant.parse("2026-12-01T10:00:00Z"));
        vm = vm.withRuntime(vm.runtime().withState(state, null), vm.createdAt());
        Path dir = Files.createDirectories(paths().vmDir(id));
        Files.writeString(dir.resolve(VmDescriptor.FILE), VmDescriptor.encode(homeId, vm));
        Files.writeString(dir.resolve("work.img"), "the user's data");
        return vm;
    }

    @Test
    void aNewDatabaseIsRebuiltFromTheDescriptorsAndTakesOnTheirHome() throws Exception {
        VmRecord a = leftBehind("0000000000a1", "alpha", "172.29.0.2", 3, VmState.RUNNING, OLD_HOME);
        VmRecord b = leftBehind("0000000000a2", "beta", "172.29.0.3", 4, VmState.STOPPED, OLD_HOME);
        Files.createDirectories(paths().vmDir("0000000000a3")); // no descriptor
        Files.writeString(Files.createDirectories(paths().vmDir("0000000000a4")).resolve(VmDescriptor.FILE), "{broken");
        Files.createDirectories(paths().vmsDir().resolve("notes"));

        try (Database db = Database.open(paths().database())) {
            var result = HomeRecovery.recover(db, paths().vmsDir());

            assertThat(db.homeId()).isEqualTo(OLD_HOME);
            assertThat(result.getKey().homeId()).isEqualTo(OLD_HOME);
            assertThat(result.getValue().vms()).containsExactly("alpha", "beta");
            assertThat(result.getValue().skipped()).anyMatch(s -> s.startsWith("0000000000a3 (no vm.json)"))
                    .anyMatch(s -> s.startsWith("0000000000a4") && s.contains("not a valid VM descriptor"))
                    .anyMatch(s -> s.startsWith("notes (not a VM directory)"));
            assertThat(db.vms().findById(a.id()).orElseThrow()).isEqualTo(a);
            assertThat(db.vms().findById(b.id()).orElseThrow().state()).isEqualTo(VmState.STOPPED);
            assertThat(paths().vmDir(a.id()).resolve("work.img")).hasContent("the user's data");
        }
    }

    @Test
    void descriptorsOfAnotherHomeAreTakenOverAndRecordsThatCollideAreSkipped() throws Exception {
        try (Database db = Database.open(paths().database())) {
            String mine = db.homeId();
            VmRecord existing = NewVm.record("0000000000b0", new VmSpec("taken", "debian-bookworm", 1, 512, 0, 4096, "qemu"), paths(),
                    "172.29.0.2", 3, Instant.now());
            db.vms().insert(existing);
            leftBehind("0000000000b1", "stranger", "172.29.0.9", 9, VmState.STOPPED, OLD_HOME);
            leftBehind("0000000000b2", "taken", "172.29.0.10", 10, VmState.STOPPED, OLD_HOME);

            var result = HomeRecovery.recover(db, paths().vmsDir());

            assertThat(db.homeId()).as("a database with records keeps its identity").isEqualTo(mine);
            assertThat(result.getValue().vms()).containsExactly("stranger");
            assertThat(result.getValue().skipped()).anyMatch(s -> s.startsWith("0000000000b2") && s.contains("name taken"));
            VmDescriptor rewritten = VmDescriptor.parse(Files.readString(paths().vmDir("0000000000b1").resolve(VmDescriptor.FILE)),
                    paths().vmsDir(), paths().vmDir("0000000000b1"));
            assertThat(rewritten.homeId()).as("now this home's").isEqualTo(mine);
            assertThat(paths().vmDir("0000000000b2")).as("a skipped directory is left as it was").isDirectory();
        }
    }

    @Test
    void theRefusalNamesWhatWasFoundAndTheWaysOut() throws Exception {
        leftBehind("0000000000c1", "alpha", "172.29.0.2", 3, VmState.RUNNING, OLD_HOME);
        Vmms vmms = Vmms.of(new QemuVmm(Accelerator.Mode.TCG, KernelArgs.Verbosity.QUIET, paths()),
                new FirecrackerVmm(Accelerator.Mode.KVM, KernelArgs.Verbosity.QUIET, dev.banger.core.BangerConfig.DEFAULTS.firecracker(), paths()));
        HomeRecovery.Found found = HomeRecovery.survey(paths().vmsDir(), new VmLiveness(vmms, new VmHandleCache()),
                prefix -> List.of("bgr0000000000c1"));
        assertThat(found.isEmpty()).isFalse();
        assertThat(found.dirs()).containsExactly("0000000000c1");

        BangerException refusal = HomeRecovery.refusal(paths().database(), Database.FileState.MISSING, found);
        assertThat(refusal.getMessage()).contains("is missing").contains("0000000000c1").contains("bgr0000000000c1")
                .contains("put the database back").contains("banger daemon recover").contains("--purge").contains("Nothing was changed");

        HomeRecovery.Found nothing = HomeRecovery.survey(home.resolve("no-such-dir"), new VmLiveness(vmms, new VmHandleCache()), prefix -> List.of());
        assertThat(nothing.isEmpty()).isTrue();
    }

    @Test
    void aFoundListIsCutShortInTheMessage() {
        List<String> many = java.util.stream.IntStream.range(0, 40).mapToObj(i -> String.format("%012x", i)).toList();
        String text = new HomeRecovery.Found(many, Map.of(), List.of()).describe();
        assertThat(text).contains("and 35 more").doesNotContain(many.get(39));
    }

    @Test
    void aDamagedDatabaseIsMovedAsideWithItsJournalNeverDeleted() throws Exception {
        Path db = paths().database();
        Files.createDirectories(db.getParent());
        Files.writeString(db, "damaged");
        Files.writeString(db.resolveSibling("state.db-wal"), "journal");
        Path aside = HomeRecovery.moveAside(db, Instant.parse("2026-12-01T10:11:12Z"), "damaged");
        assertThat(aside.getFileName().toString()).isEqualTo("state.db.damaged-20261201-101112");
        assertThat(aside).hasContent("damaged");
        assertThat(aside.resolveSibling("state.db.damaged-20261201-101112-wal")).hasContent("journal");
        assertThat(db).doesNotExist();
    }

    @Test
    void onlyRecoverAndPurgeAreArguments() {
        assertThat(HomeRecovery.Mode.fromArgs(List.of())).isEqualTo(HomeRecovery.Mode.NORMAL);
        assertThat(HomeRecovery.Mode.fromArgs(List.of("--recover"))).isEqualTo(HomeRecovery.Mode.RECOVER);
        assertThat(HomeRecovery.Mode.fromArgs(List.of("--purge"))).isEqualTo(HomeRecovery.Mode.PURGE);
        assertThatThrownBy(() -> HomeRecovery.Mode.fromArgs(List.of("--recover", "--purge"))).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> HomeRecovery.Mode.fromArgs(List.of("x"))).hasMessageContaining("banger daemon recover");
    }
}
