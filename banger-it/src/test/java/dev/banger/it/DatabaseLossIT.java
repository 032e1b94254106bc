package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * With a real VM running (QEMU, in a namespace this test makes): its state database is lost, emptied or
 * damaged while the daemon is down, and nothing is destroyed: the next daemon refuses to start, naming
 * what it found and the way out; {@code banger daemon recover} rebuilds the record from the VM directory's
 * vm.json and adopts the running VM, whose /work data is intact. Also: a VM deleted while {@code vm run}
 * boots it makes {@code vm run} say so, with banger's own failure status, not ssh's 255.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class DatabaseLossIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private NetnsHome ns;
    private List<Long> vmmPids;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(BOOT, "vm", "run", "--name", "keeper", "--", "sh", "-c", "echo precious > /work/data && sync");
        vmmPids = ns.pidsInNetns().stream().filter(pid -> !ns.home.daemons().stream().map(ProcessHandle::pid).toList().contains(pid)).toList();
        assertThat(vmmPids).as("the VM's QEMU").isNotEmpty();
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    private Path db() {
        return ns.home.database();
    }

    private void assertVmUntouched() {
        assertThat(vmmPids).as("QEMU was not killed").allMatch(BangerHome::alive);
    }

    private void assertRecoveredAndIntact() {
        BangerHome.Result recover = ns.ok(CLI, "daemon", "recover");
        assertThat(recover.stdout()).contains("recovered 1 VMs").contains("keeper");
        assertThat(ns.ok(CLI, "vm", "list").stdout()).containsPattern("keeper\\s+running");
        assertThat(ns.ok(CLI, "vm", "ssh", "keeper", "--", "cat", "/work/data").stdout().strip()).isEqualTo("precious");
        assertVmUntouched();
    }

    private BangerHome.Result refusedStart(String... expected) {
        BangerHome.Result list = ns.banger(CLI, "vm", "list");
        assertThat(list.exitCode()).as("%s", list).isNotZero();
        assertThat(list.stderr()).contains(expected).contains("banger daemon recover").contains("Nothing was changed");
        assertThat(ns.home.daemons()).as("no daemon serves with a database that does not know the VM").isEmpty();
        assertVmUntouched();
        return list;
    }

    @Test
    @Order(1)
    void aMissingDatabaseIsRefusedAndRecoveredFromTheVmDirectory() throws IOException {
        ns.home.ok("daemon", "stop");
        Path aside = Files.createDirectories(ns.home.path().resolve("moved-away"));
        for (String f : List.of("state.db", "state.db-wal", "state.db-shm")) {
            Path p = db().resolveSibling(f);
            if (Files.exists(p)) {
                Files.move(p, aside.resolve(f));
            }
        }

        refusedStart("is missing", "VM directories", "VMMs running", "put the database back");
        assertThat(db()).as("no fresh database was made").doesNotExist();
        assertRecoveredAndIntact();
    }

    @Test
    @Order(2)
    void anEmptiedDatabaseIsRefusedAndRecovered() throws IOException {
        // Killed, not stopped: SQLite's journal (state.db-wal) stays behind, as after a crash.
        ns.killDaemon();
        assertThat(db().resolveSibling("state.db-wal")).exists();
        Files.write(db(), new byte[0]);
        refusedStart("is empty");
        assertThat(Files.size(db())).isZero();
        assertRecoveredAndIntact();
        try (Stream<Path> s = Files.list(ns.home.path())) {
            assertThat(s.map(p -> p.getFileName().toString())).as("the old journal kept aside, not replayed or deleted")
                    .anyMatch(n -> n.startsWith("state.db.orphaned-"));
        }
    }

    @Test
    @Order(3)
    void aDamagedDatabaseIsRefusedWithTheFixAndRecoveredKeepingTheDamagedFile() throws IOException {
        ns.home.ok("daemon", "stop");
        byte[] junk = "not a database at all; a disk error, perhaps ".repeat(200).getBytes();
        Files.write(db(), junk);
        Files.deleteIfExists(db().resolveSibling("state.db-wal"));
        Files.deleteIfExists(db().resolveSibling("state.db-shm"));

        BangerHome.Result refused = refusedStart("cannot use its state database", "damaged");
        assertThat(refused.stderr()).doesNotContain("SQLITE_CORRUPT]").as("the fix, not just SQLite's code");
        assertThat(Files.readAllBytes(db())).as("the damaged file is left as it was").isEqualTo(junk);

        assertRecoveredAndIntact();
        try (Stream<Path> s = Files.list(ns.home.path())) {
            Path kept = s.filter(p -> p.getFileName().toString().startsWith("state.db.damaged-") && !p.toString().endsWith("-wal")
                    && !p.toString().endsWith("-shm")).findFirst().orElseThrow();
            assertThat(Files.readAllBytes(kept)).isEqualTo(junk);
        }
    }

    @Test
    @Order(4)
    void aVmDeletedWhileVmRunBootsItMakesVmRunSaySoWithBangersOwnStatus() throws Exception {
        CompletableFuture<BangerHome.Result> run = CompletableFuture.supplyAsync(
                () -> ns.banger(BOOT, "vm", "run", "--name", "doomed", "--", "sleep", "120"));
        assertThat(BangerHome.await(Duration.ofMinutes(1), () -> {
            BangerHome.Result show = ns.banger(CLI, "vm", "show", "doomed", "--json");
            return show.exitCode() == 0 && show.json().at("/runtime/state").asText().equals("starting");
        })).as("vm run is booting doomed").isTrue();

        ns.ok(BOOT, "vm", "delete", "--force", "doomed");
        BangerHome.Result r = run.get(4, TimeUnit.MINUTES);

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("doomed").contains("deleted while");
        assertThat(ns.ok(CLI, "vm", "list").stdout()).doesNotContain("doomed");
    }
}
