package dev.banger.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The E2B tables in a real SQLite file: keys revoked but kept, sandboxes' state round trip, end times, deletion. */
class E2bStoreTest {
    @TempDir
    Path dir;
    private Database db;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("state.db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void keysAreKeptRevokedOnce() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        db.e2b().insertKey(new E2bStore.StoredKey("k1", "ci", new byte[] {1, 2}, new byte[] {3, 4}, t, null));
        db.e2b().insertKey(new E2bStore.StoredKey("k2", "", new byte[] {5}, new byte[] {6}, t.plusSeconds(1), null));
        assertThat(db.e2b().keys()).extracting(E2bStore.StoredKey::id).containsExactly("k1", "k2");
        assertThat(db.e2b().keys().getFirst().salt()).containsExactly(1, 2);
        assertThat(db.e2b().revokeKey("k1", t.plusSeconds(5))).isTrue();
        assertThat(db.e2b().revokeKey("k1", t.plusSeconds(6))).isFalse();
        assertThat(db.e2b().revokeKey("nope", t)).isFalse();
        assertThat(db.e2b().keys().getFirst().revokedAt()).isEqualTo(t.plusSeconds(5));
        assertThat(db.e2b().keys().get(1).revoked()).isFalse();
    }

    @Test
    void sandboxesRoundTripAndEnd() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        var s = new E2bStore.Sandbox("abc", "k1", "base", "debian-bookworm", Map.of("user", "alice"), Map.of("A", "1"),
                t, t.plusSeconds(300), new byte[] {9, 9});
        db.e2b().insertSandbox(s);
        db.e2b().insertSandbox(new E2bStore.Sandbox("def", "k2", "x", "x", Map.of(), Map.of(), t, t.plusSeconds(10), new byte[] {1}));
        assertThat(db.e2b().sandboxes()).extracting(E2bStore.Sandbox::sandboxId).containsExactly("def", "abc");
        var back = db.e2b().sandbox("abc").orElseThrow();
        assertThat(back.metadata()).isEqualTo(Map.of("user", "alice"));
        assertThat(back.envVars()).isEqualTo(Map.of("A", "1"));
        assertThat(back.tokenSalt()).containsExactly(9, 9);
        assertThat(db.e2b().setEndAt("abc", t.plusSeconds(5))).isTrue();
        assertThat(db.e2b().sandboxes().getFirst().sandboxId()).isEqualTo("abc");
        assertThat(db.e2b().deleteSandbox("abc")).isTrue();
        assertThat(db.e2b().deleteSandbox("abc")).isFalse();
        assertThat(db.e2b().sandbox("abc")).isEmpty();
        assertThat(db.e2b().setEndAt("abc", t)).isFalse();
    }
}
