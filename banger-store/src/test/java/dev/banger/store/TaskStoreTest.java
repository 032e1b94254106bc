package dev.banger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.VmRecord;
import dev.banger.core.task.TaskRules;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A VM's tasks in a real SQLite file: one running run per name, its end written once and only for that run, gone with the VM. */
class TaskStoreTest {
    @TempDir
    Path dir;
    private Database db;
    private TaskStore tasks;
    private final VmRecord vm = VmFixtures.vm(1, "web");
    private static final Instant T1 = Instant.parse("2026-01-01T00:00:01Z");
    private static final Instant T2 = Instant.parse("2026-01-01T00:00:02Z");

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("state.db"));
        tasks = db.tasks();
        db.vms().insert(vm);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aRunIsClaimedStartedAndEndsOnce() {
        assertThat(tasks.claim(vm.id(), "main", List.of("sh", "-c", "exit 7"), T1)).isEmpty();
        assertThat(tasks.claim(vm.id(), "main", List.of("other"), T2)).as("refused while running").isPresent();
        assertThat(tasks.running()).singleElement().satisfies(t -> assertThat(t.agentId()).isNull());
        assertThat(tasks.started(vm.id(), "main", T1, "0badc0de", 42)).isTrue();
        assertThat(tasks.started(vm.id(), "main", T1, "0badc0de", 42)).as("once").isFalse();
        assertThat(tasks.exited(vm.id(), "main", "feedf00d", 1, null, T2)).as("another run's exit").isFalse();
        assertThat(tasks.exited(vm.id(), "main", "0badc0de", 7, null, T2)).isTrue();
        assertThat(tasks.exited(vm.id(), "main", "0badc0de", 9, null, T2)).as("written once").isFalse();
        assertThat(tasks.lost(vm.id(), "main", "0badc0de", "late", T2)).isFalse();
        TaskStore.Task t = tasks.find(vm.id(), "main").orElseThrow();
        assertThat(t.state()).isEqualTo(TaskRules.State.EXITED);
        assertThat(t.exitCode()).isEqualTo(7);
        assertThat(t.signal()).as("exit 7 by itself").isNull();
        assertThat(t.pid()).isEqualTo(42);
        assertThat(t.argv()).containsExactly("sh", "-c", "exit 7");
        assertThat(t.startedAt()).isEqualTo(T1);
        assertThat(t.finishedAt()).isEqualTo(T2);
        assertThat(tasks.running()).isEmpty();
        // An ended run's name may run again: the new run replaces the old row.
        assertThat(tasks.claim(vm.id(), "main", List.of("true"), T2)).isEmpty();
        assertThat(tasks.find(vm.id(), "main").orElseThrow().exitCode()).isNull();
    }

    @Test
    void aClaimIsWithdrawnOrLostWithoutAnAgentId() {
        tasks.claim(vm.id(), "a", List.of("true"), T1);
        tasks.unclaim(vm.id(), "a", T1);
        assertThat(tasks.find(vm.id(), "a")).isEmpty();
        tasks.claim(vm.id(), "b", List.of("true"), T1);
        assertThat(tasks.lost(vm.id(), "b", null, "bangerd stopped while starting it", T2)).isTrue();
        TaskStore.Task t = tasks.find(vm.id(), "b").orElseThrow();
        assertThat(t.state()).isEqualTo(TaskRules.State.LOST);
        assertThat(t.reason()).contains("bangerd stopped");
        assertThat(t.exitCode()).isNull();
    }

    @Test
    void theVmsDeleteRemovesItsTasks() {
        tasks.claim(vm.id(), "main", List.of("true"), T1);
        tasks.claim(vm.id(), "other", List.of("true"), T1);
        db.vms().delete(vm.id());
        assertThat(tasks.find(vm.id(), "main")).isEmpty();
        assertThat(tasks.running()).isEmpty();
    }

    @Test
    void theSignalThatEndedARunIsKeptBesideItsCode() {
        tasks.claim(vm.id(), "killed", List.of("sleep", "60"), T1);
        tasks.started(vm.id(), "killed", T1, "0badc0de", 42);
        assertThat(tasks.exited(vm.id(), "killed", "0badc0de", 137, 9, T2)).isTrue();
        TaskStore.Task t = tasks.find(vm.id(), "killed").orElseThrow();
        assertThat(t.exitCode()).isEqualTo(137);
        assertThat(t.signal()).isEqualTo(9);
        tasks.claim(vm.id(), "plain", List.of("sh", "-c", "exit 137"), T1);
        tasks.started(vm.id(), "plain", T1, "feedf00d", 43);
        assertThat(tasks.exited(vm.id(), "plain", "feedf00d", 137, null, T2)).isTrue();
        assertThat(tasks.find(vm.id(), "plain").orElseThrow().signal()).as("exit 137 is no signal").isNull();
    }

    @Test
    void deliveredPositionsOnlyMoveForwardAndANewRunStartsAtZero() {
        tasks.claim(vm.id(), "main", List.of("yes"), T1);
        tasks.started(vm.id(), "main", T1, "0badc0de", 42);
        assertThat(tasks.deliveredOf(vm.id(), "main")).isEqualTo(TaskStore.Delivered.NONE);
        assertThat(tasks.delivered(vm.id(), "main", "0badc0de", new TaskStore.Delivered(100, 7))).isTrue();
        assertThat(tasks.delivered(vm.id(), "main", "0badc0de", new TaskStore.Delivered(50, 9))).isTrue();
        assertThat(tasks.deliveredOf(vm.id(), "main")).as("a smaller report changes nothing").isEqualTo(new TaskStore.Delivered(100, 9));
        assertThat(tasks.delivered(vm.id(), "main", "feedf00d", new TaskStore.Delivered(500, 500))).as("another run's report").isFalse();
        assertThat(tasks.deliveredOf(vm.id(), "main")).isEqualTo(new TaskStore.Delivered(100, 9));
        assertThat(tasks.exited(vm.id(), "main", "0badc0de", 0, null, T2)).isTrue();
        tasks.claim(vm.id(), "main", List.of("yes"), T2);
        assertThat(tasks.deliveredOf(vm.id(), "main")).as("a new run of the name").isEqualTo(TaskStore.Delivered.NONE);
        assertThat(tasks.deliveredOf(vm.id(), "nothing")).isEqualTo(TaskStore.Delivered.NONE);
    }

    @Test
    void aSignalThatDisagreesWithTheCodeIsRefusedByTheSchema() {
        tasks.claim(vm.id(), "main", List.of("true"), T1);
        tasks.started(vm.id(), "main", T1, "0badc0de", 42);
        assertThatThrownBy(() -> tasks.exited(vm.id(), "main", "0badc0de", 0, 9, T2)).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> tasks.exited(vm.id(), "main", "0badc0de", 128 + 65, 65, T2)).isInstanceOf(RuntimeException.class);
        assertThat(tasks.find(vm.id(), "main").orElseThrow().running()).isTrue();
    }

    @Test
    void v10AddsTheSignalColumnToV9sRowsAsUnknown() throws Exception {
        Path file = dir.resolve("v9.db");
        try (Database old = Database.open(file, 9)) {
            old.vms().insert(vm);
        }
        // A row as a V9 bangerd wrote it (plain JDBC: no signal column yet).
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO vm_tasks (vm_id, name, state, agent_id, pid, argv, exit_code, reason, started_at, finished_at) "
                    + "VALUES ('" + vm.id() + "', 'main', 'exited', '0badc0de', 42, '[\"sleep\",\"60\"]', 137, NULL, '" + T1 + "', '" + T2 + "')");
        }
        try (Database upgraded = Database.open(file)) {
            assertThat(upgraded.schemaVersion()).isEqualTo(Migrations.LATEST).isGreaterThanOrEqualTo(10);
            TaskStore.Task t = upgraded.tasks().find(vm.id(), "main").orElseThrow();
            assertThat(t.exitCode()).isEqualTo(137);
            assertThat(t.signal()).as("a V9 row did not say").isNull();
            assertThat(t.argv()).containsExactly("sleep", "60");
        }
    }
}
