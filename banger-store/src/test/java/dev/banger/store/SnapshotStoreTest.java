package dev.banger.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.SnapshotRecord;
import dev.banger.api.VmRecord;
import dev.banger.core.NewVm;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshots table in a real SQLite file: round trip, unique names and template keys, removal only when unused. */
class SnapshotStoreTest {
    @TempDir
    Path dir;
    private Database db;
    private SnapshotStore snapshots;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("state.db"));
        snapshots = db.snapshots();
    }

    @AfterEach
    void close() {
        db.close();
    }

    static SnapshotRecord snapshot(String id, String name, String kind, String key, Instant at) {
        return new SnapshotRecord(id, name, kind, SnapshotRecord.TAKING, "a00000000001", "web", "debian-bookworm", "qemu", "7.2.22",
                "microvm", "tcg", 2, 512, 0, 4096, key, "/srv/banger/snapshots/" + id, 0, 0, 0, at, List.of());
    }

    @Test
    void aSnapshotRoundTripsAndBecomesReadyOnce() {
        SnapshotRecord s = snapshot("0123456789ab", "before-upgrade", SnapshotRecord.USER, null, Instant.parse("2026-12-02T10:00:00.5Z"));
        snapshots.insert(s);
        assertThat(snapshots.findByName("before-upgrade")).contains(s);
        snapshots.markReady(s.id(), 140L << 20, 130L << 20, 812);
        assertThat(snapshots.findById(s.id())).contains(s.ready(140L << 20, 130L << 20, 812));
        assertThatThrownBy(() -> snapshots.markReady(s.id(), 1, 1, 1)).isInstanceOf(BangerException.class)
                .hasMessageContaining("no longer being taken");
    }

    @Test
    void v8KeepsTheSnapshotsOfV7AndTakesPauses() {
        db.close();
        Path file = dir.resolve("v7.db");
        SnapshotRecord kept = snapshot("0123456789ab", "before-v8", SnapshotRecord.TEMPLATE, "key-1", Instant.parse("2026-12-02T10:00:00Z"));
        try (Database v7 = Database.open(file, 7)) {
            v7.snapshots().insert(kept);
            assertThatThrownBy(() -> v7.snapshots().insert(snapshot("0123456789ac", "p", SnapshotRecord.PAUSE, null, Instant.EPOCH)))
                    .as("V7 knows no pause").isInstanceOf(RuntimeException.class);
        }
        db = Database.open(file);
        snapshots = db.snapshots();
        assertThat(snapshots.findById(kept.id())).contains(kept);
        snapshots.insert(snapshot("0123456789ac", "web-pause", SnapshotRecord.PAUSE, null, Instant.EPOCH));
        assertThat(snapshots.findByName("web-pause")).map(SnapshotRecord::kind).contains(SnapshotRecord.PAUSE);
    }

    @Test
    void namesAreUniqueAndSaySo() {
        snapshots.insert(snapshot("0123456789ab", "same", SnapshotRecord.USER, null, Instant.EPOCH));
        assertThatThrownBy(() -> snapshots.insert(snapshot("0123456789ac", "same", SnapshotRecord.USER, null, Instant.EPOCH)))
                .isInstanceOf(BangerException.class).extracting(e -> ((BangerException) e).code()).isEqualTo(ErrorCode.NAME_TAKEN);
    }

    @Test
    void oneTemplatePerKeyAndOnlyReadyOnesAreFound() {
        snapshots.insert(snapshot("0123456789ab", "t1", SnapshotRecord.TEMPLATE, "key-1", Instant.EPOCH));
        assertThat(snapshots.findTemplate("key-1")).as("still being taken").isEmpty();
        assertThatThrownBy(() -> snapshots.insert(snapshot("0123456789ac", "t2", SnapshotRecord.TEMPLATE, "key-1", Instant.EPOCH)))
                .isInstanceOf(BangerException.class).hasMessageContaining("template");
        snapshots.markReady("0123456789ab", 1, 1, 1);
        assertThat(snapshots.findTemplate("key-1")).map(SnapshotRecord::name).contains("t1");
    }

    @Test
    void theSchemaRefusesATemplateWithoutKeyAndAUserSnapshotWithOne() {
        assertThatThrownBy(() -> snapshots.insert(snapshot("0123456789ab", "t", SnapshotRecord.TEMPLATE, null, Instant.EPOCH)))
                .isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> snapshots.insert(snapshot("0123456789ab", "u", SnapshotRecord.USER, "k", Instant.EPOCH)))
                .isInstanceOf(RuntimeException.class);
        assertThat(snapshots.list()).isEmpty();
    }

    @Test
    void aSnapshotAVmLiesOverIsNotRemovedAndTheVmIsNamed() {
        snapshots.insert(snapshot("0123456789ab", "base", SnapshotRecord.USER, null, Instant.EPOCH));
        VmRecord child = VmFixtures.vm(1, "child");
        VmRecord over = NewVm.record(child.id(), child.spec(), VmFixtures.PATHS, child.runtime().guestIp(), child.runtime().vsockCid(),
                VmFixtures.T0, "0123456789ab");
        db.vms().insert(over);
        assertThat(db.vms().findById(child.id()).orElseThrow().runtime().fromSnapshot()).isEqualTo("0123456789ab");
        assertThat(db.vms().namesFromSnapshot("0123456789ab")).containsExactly("child");
        assertThat(snapshots.deleteUnused("0123456789ab")).isFalse();
        db.vms().delete(child.id());
        assertThat(snapshots.deleteUnused("0123456789ab")).isTrue();
        assertThat(snapshots.list()).isEmpty();
    }

    @Test
    void theListIsOldestFirst() {
        snapshots.insert(snapshot("0123456789ab", "newer", SnapshotRecord.USER, null, Instant.parse("2026-12-02T10:00:00Z")));
        snapshots.insert(snapshot("0123456789ac", "older", SnapshotRecord.FORK, null, Instant.parse("2026-12-01T10:00:00Z")));
        assertThat(snapshots.list()).extracting(SnapshotRecord::name).containsExactly("older", "newer");
    }
}
