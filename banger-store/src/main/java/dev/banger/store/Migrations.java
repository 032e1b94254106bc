package dev.banger.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Versioned schema migrations. The schema version is SQLite's {@code PRAGMA user_version}; migration N
 * is the resource {@code migrations/VN__*.sql}, applied in its own transaction together with the version
 * bump, so a crash mid-migration leaves the previous version intact.
 */
public final class Migrations {
    /** In order; append only. A released migration is never edited. */
    static final List<String> FILES = List.of("V1__vms.sql", "V2__vm_disk_sizes.sql", "V3__vm_vmm.sql", "V4__home.sql", "V5__snapshots.sql",
            "V6__mounts_publishes.sql", "V7__e2b.sql", "V8__snapshot_pause.sql", "V9__vm_tasks.sql",
            "V10__vm_task_signal.sql",
            "V11__vm_task_delivered.sql");

    public static final int LATEST = FILES.size();

    private Migrations() {
    }

    public static int currentVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); var rs = s.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** Migrates to the latest version. */
    public static void migrate(Connection c) throws SQLException {
        migrate(c, LATEST);
    }

    /** Migrates up to {@code target} (tests use it to build an old schema). */
    public static void migrate(Connection c, int target) throws SQLException {
        int current = currentVersion(c);
        if (current > LATEST) {
            throw new StoreException("the database is at schema version " + current + " but this banger knows only up to "
                    + LATEST + ": it was written by a newer banger; upgrade banger or use another BANGER_HOME");
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            for (int v = current + 1; v <= target; v++) {
                try (Statement s = c.createStatement()) {
                    for (String sql : statements(FILES.get(v - 1))) {
                        s.executeUpdate(sql);
                    }
                    s.executeUpdate("PRAGMA user_version = " + v);
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw new StoreException("schema migration " + FILES.get(v - 1) + " failed: " + e.getMessage(), e);
                }
            }
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Splits a migration file on ';' at line ends; migrations hold no triggers or string literals with ';'. */
    static List<String> statements(String file) {
        String text;
        try (InputStream in = Migrations.class.getResourceAsStream("migrations/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing migration resource " + file);
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                out.add(current.toString().strip().replaceAll(";$", ""));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }
}
