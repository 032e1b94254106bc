package dev.banger.store;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.SnapshotRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** The {@code snapshots} table: durable snapshot records ({@code usedBy} is the VMs' table's, filled in by the service). */
public final class SnapshotStore {
    private static final String COLUMNS = "id, name, kind, state, source_vm_id, source_vm_name, image, vmm, vmm_version, machine, "
            + "accelerator, vcpus, memory_mib, root_disk_mib, work_disk_mib, template_key, dir, size_bytes, state_bytes, paused_ms, "
            + "created_at";

    private final Database db;

    SnapshotStore(Database db) {
        this.db = db;
    }

    /** Inserts a snapshot being taken; a taken name is NAME_TAKEN, a second template for one key ALREADY_EXISTS. */
    public void insert(SnapshotRecord s) {
        db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshots (" + COLUMNS
                    + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                int i = 1;
                ps.setString(i++, s.id());
                ps.setString(i++, s.name());
                ps.setString(i++, s.kind());
                ps.setString(i++, s.state());
                ps.setString(i++, s.sourceVmId());
                ps.setString(i++, s.sourceVm());
                ps.setString(i++, s.image());
                ps.setString(i++, s.vmm());
                ps.setString(i++, s.vmmVersion());
                ps.setString(i++, s.machine());
                ps.setString(i++, s.accelerator());
                ps.setInt(i++, s.vcpus());
                ps.setInt(i++, s.memoryMib());
                ps.setLong(i++, s.rootDiskMib());
                ps.setLong(i++, s.workDiskMib());
                ps.setString(i++, s.templateKey());
                ps.setString(i++, s.dir());
                ps.setLong(i++, s.sizeBytes());
                ps.setLong(i++, s.stateBytes());
                ps.setLong(i++, s.pausedMs());
                ps.setString(i, s.createdAt().toString());
                ps.executeUpdate();
                return null;
            } catch (SQLiteException e) {
                if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE || e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY) {
                    if (e.getMessage().contains("snapshots.name")) {
                        throw new BangerException(ErrorCode.NAME_TAKEN, "name taken: a snapshot named '" + s.name()
                                + "' already exists; choose another name or remove that snapshot first ('banger snapshot rm "
                                + s.name() + "')");
                    }
                    if (e.getMessage().contains("snapshots.template_key")) {
                        throw new BangerException(ErrorCode.FAILED_PRECONDITION, "a template for image " + s.image()
                                + " with this spec is being made or exists already");
                    }
                }
                throw e;
            }
        });
    }

    /** Marks a snapshot taken: its sizes and pause are known now. */
    public void markReady(String id, long sizeBytes, long stateBytes, long pausedMs) {
        int rows = db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE snapshots SET state='ready', size_bytes=?, state_bytes=?, paused_ms=? WHERE id=? AND state='taking'")) {
                ps.setLong(1, sizeBytes);
                ps.setLong(2, stateBytes);
                ps.setLong(3, pausedMs);
                ps.setString(4, id);
                return ps.executeUpdate();
            }
        });
        if (rows != 1) {
            throw BangerException.notFound("snapshot " + id + " is no longer being taken");
        }
    }

    /** Removes a snapshot's row whatever depends on it (a take that failed or was cut short: nothing can). */
    public void delete(String id) {
        db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM snapshots WHERE id=?")) {
                ps.setString(1, id);
                return ps.executeUpdate();
            }
        });
    }

    /** Removes a snapshot's row, unless a VM's disks lie over it (then false: the VMs' table names them). */
    public boolean deleteUnused(String id) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM snapshots WHERE id=? AND NOT EXISTS (SELECT 1 FROM vms WHERE from_snapshot=?)")) {
                ps.setString(1, id);
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    public Optional<SnapshotRecord> findById(String id) {
        return one("SELECT " + COLUMNS + " FROM snapshots WHERE id=?", id);
    }

    public Optional<SnapshotRecord> findByName(String name) {
        return one("SELECT " + COLUMNS + " FROM snapshots WHERE name=?", name);
    }

    /** The ready template with this key, if any. */
    public Optional<SnapshotRecord> findTemplate(String key) {
        return one("SELECT " + COLUMNS + " FROM snapshots WHERE template_key=? AND state='ready'", key);
    }

    /** Oldest first. */
    public List<SnapshotRecord> list() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM snapshots ORDER BY created_at, name");
                 ResultSet rs = ps.executeQuery()) {
                List<SnapshotRecord> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        });
    }

    private Optional<SnapshotRecord> one(String sql, String arg) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, arg);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    private static SnapshotRecord read(ResultSet rs) throws SQLException {
        return new SnapshotRecord(rs.getString("id"), rs.getString("name"), rs.getString("kind"), rs.getString("state"),
                rs.getString("source_vm_id"), rs.getString("source_vm_name"), rs.getString("image"), rs.getString("vmm"),
                rs.getString("vmm_version"), rs.getString("machine"), rs.getString("accelerator"), rs.getInt("vcpus"),
                rs.getInt("memory_mib"), rs.getLong("root_disk_mib"), rs.getLong("work_disk_mib"), rs.getString("template_key"),
                rs.getString("dir"), rs.getLong("size_bytes"), rs.getLong("state_bytes"), rs.getLong("paused_ms"),
                Instant.parse(rs.getString("created_at")), List.of());
    }
}
