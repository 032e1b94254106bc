package dev.banger.store;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.HostMount;
import dev.banger.api.PublishedPort;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** The {@code vms} table: durable VM records. */
public final class VmStore {
    private static final String COLUMNS = "id, name, image, vcpus, memory_mib, root_disk_mib, work_disk_mib, vmm, created_at, updated_at, "
            + "state, guest_ip, api_sock_path, vsock_path, vsock_cid, log_path, metrics_path, dns_name, vm_dir, "
            + "system_overlay, work_disk_path, last_error, from_snapshot";

    private final Database db;

    VmStore(Database db) {
        this.db = db;
    }

    /** See {@link Database#withReserve}: for work that frees space, such as deleting a VM, on a full disk. */
    public <T> T withReserve(Supplier<T> work) {
        return db.withReserve(work);
    }

    /** Inserts a new VM; a taken name (or address, CID) is reported as NAME_TAKEN / INTERNAL clearly. */
    public void insert(VmRecord vm) {
        db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO vms (" + COLUMNS
                    + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                VmSpec s = vm.spec();
                VmRuntime r = vm.runtime();
                int i = 1;
                ps.setString(i++, vm.id());
                ps.setString(i++, s.name());
                ps.setString(i++, s.image());
                ps.setInt(i++, s.vcpus());
                ps.setInt(i++, s.memoryMib());
                ps.setLong(i++, s.rootDiskMib());
                ps.setLong(i++, s.workDiskMib());
                ps.setString(i++, s.vmm());
                ps.setString(i++, vm.createdAt().toString());
                ps.setString(i++, vm.updatedAt().toString());
                bindRuntime(ps, i, r);
                ps.setString(i + 12, r.fromSnapshot());
                ps.executeUpdate();
                insertMounts(c, vm);
                for (PublishedPort p : vm.publishes()) {
                    if (!p.auto()) {
                        PublishStore.insert(c, vm.id(), p, vm.createdAt());
                    }
                }
                return null;
            } catch (SQLiteException e) {
                if (e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE || e.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY) {
                    throw uniqueViolation(vm, e);
                }
                throw e;
            }
        });
    }

    private static void insertMounts(java.sql.Connection c, VmRecord vm) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO vm_mounts (vm_id, idx, host_dir, guest_dir, read_only, uid, gid) VALUES (?,?,?,?,?,?,?)")) {
            int idx = 0;
            for (HostMount m : vm.mounts()) {
                ps.setString(1, vm.id());
                ps.setInt(2, idx++);
                ps.setString(3, m.hostDir());
                ps.setString(4, m.guestDir());
                ps.setInt(5, m.readOnly() ? 1 : 0);
                ps.setInt(6, m.uid());
                ps.setInt(7, m.gid());
                ps.executeUpdate();
            }
        }
    }

    private static BangerException uniqueViolation(VmRecord vm, SQLiteException e) {
        String msg = e.getMessage();
        if (msg.contains("vms.name")) {
            return new BangerException(ErrorCode.NAME_TAKEN, "name taken: a VM named '" + vm.name()
                    + "' already exists; choose another name or delete that VM first");
        }
        return new StoreException("VM " + vm.id() + " collides with an existing record: " + msg, e);
    }

    private static void bindRuntime(PreparedStatement ps, int start, VmRuntime r) throws SQLException {
        int i = start;
        ps.setString(i++, r.state().wireName());
        ps.setString(i++, r.guestIp());
        ps.setString(i++, r.apiSockPath());
        ps.setString(i++, r.vsockPath());
        ps.setLong(i++, r.vsockCid());
        ps.setString(i++, r.logPath());
        ps.setString(i++, r.metricsPath());
        ps.setString(i++, r.dnsName());
        ps.setString(i++, r.vmDir());
        ps.setString(i++, r.systemOverlay());
        ps.setString(i++, r.workDiskPath());
        ps.setString(i, r.lastError());
    }

    /** Replaces the runtime part of a VM (state, last error, ...) and its updated time. */
    public void updateRuntime(String id, VmRuntime r, Instant now) {
        int rows = db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE vms SET state=?, guest_ip=?, api_sock_path=?, vsock_path=?, "
                    + "vsock_cid=?, log_path=?, metrics_path=?, dns_name=?, vm_dir=?, system_overlay=?, work_disk_path=?, "
                    + "last_error=?, updated_at=? WHERE id=?")) {
                bindRuntime(ps, 1, r);
                ps.setString(13, now.toString());
                ps.setString(14, id);
                return ps.executeUpdate();
            }
        });
        if (rows != 1) {
            throw BangerException.notFound("VM " + id + " no longer exists");
        }
    }

    /** The VMs whose disks lie over snapshot {@code snapshotId}'s, by name. */
    public java.util.List<String> namesFromSnapshot(String snapshotId) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM vms WHERE from_snapshot=? ORDER BY name")) {
                ps.setString(1, snapshotId);
                try (ResultSet rs = ps.executeQuery()) {
                    java.util.List<String> names = new ArrayList<>();
                    while (rs.next()) {
                        names.add(rs.getString(1));
                    }
                    return names;
                }
            }
        });
    }

    /** Deletes a VM with its mounts, published ports and tasks, in one transaction. */
    public boolean delete(String id) {
        return db.transaction(c -> {
            for (String table : List.of("vm_mounts", "vm_publishes", "vm_tasks")) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE vm_id=?")) {
                    ps.setString(1, id);
                    ps.executeUpdate();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM vms WHERE id=?")) {
                ps.setString(1, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    public Optional<VmRecord> findById(String id) {
        return one("SELECT " + COLUMNS + " FROM vms WHERE id=?", id);
    }

    public Optional<VmRecord> findByName(String name) {
        return one("SELECT " + COLUMNS + " FROM vms WHERE name=?", name);
    }

    /** All VMs, ordered by name. */
    public List<VmRecord> list() {
        return db.call(c -> {
            List<VmRecord> rows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vms ORDER BY name");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(read(rs));
                }
            }
            Map<String, List<HostMount>> mounts = mounts(c, null);
            Map<String, List<PublishedPort>> publishes = PublishStore.byVm(c, null);
            List<VmRecord> out = new ArrayList<>();
            for (VmRecord vm : rows) {
                out.add(vm.withMounts(mounts.getOrDefault(vm.id(), List.of())).withPublishes(publishes.getOrDefault(vm.id(), List.of())));
            }
            return out;
        });
    }

    /** Mounts by VM id, in each VM's order; of one VM when {@code vmId} is given. */
    private static Map<String, List<HostMount>> mounts(java.sql.Connection c, String vmId) throws SQLException {
        Map<String, List<HostMount>> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT vm_id, host_dir, guest_dir, read_only, uid, gid FROM vm_mounts"
                + (vmId == null ? "" : " WHERE vm_id=?") + " ORDER BY vm_id, idx")) {
            if (vmId != null) {
                ps.setString(1, vmId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new HostMount(rs.getString(2), rs.getString(3),
                            rs.getInt(4) == 1, rs.getInt(5), rs.getInt(6)));
                }
            }
        }
        return out;
    }

    public int count() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM vms"); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        });
    }

    /** Names of the VMs created from {@code image}, ordered. */
    public List<String> namesUsingImage(String image) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM vms WHERE image=? ORDER BY name")) {
                ps.setString(1, image);
                try (ResultSet rs = ps.executeQuery()) {
                    List<String> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                    return out;
                }
            }
        });
    }

    public List<String> guestIps() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT guest_ip FROM vms WHERE guest_ip IS NOT NULL");
                 ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            }
        });
    }

    public List<Long> vsockCids() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT vsock_cid FROM vms"); ResultSet rs = ps.executeQuery()) {
                List<Long> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
                return out;
            }
        });
    }

    private Optional<VmRecord> one(String sql, String arg) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, arg);
                VmRecord vm;
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<VmRecord>empty();
                    }
                    vm = read(rs);
                }
                return Optional.of(vm.withMounts(mounts(c, vm.id()).getOrDefault(vm.id(), List.of()))
                        .withPublishes(PublishStore.byVm(c, vm.id()).getOrDefault(vm.id(), List.of())));
            }
        });
    }

    private static VmRecord read(ResultSet rs) throws SQLException {
        VmSpec spec = new VmSpec(rs.getString("name"), rs.getString("image"), rs.getInt("vcpus"), rs.getInt("memory_mib"),
                rs.getLong("root_disk_mib"), rs.getLong("work_disk_mib"), rs.getString("vmm"));
        VmRuntime runtime = new VmRuntime(
                VmState.fromWire(rs.getString("state")),
                rs.getString("guest_ip"),
                rs.getString("api_sock_path"),
                rs.getString("vsock_path"),
                rs.getLong("vsock_cid"),
                rs.getString("log_path"),
                rs.getString("metrics_path"),
                rs.getString("dns_name"),
                rs.getString("vm_dir"),
                rs.getString("system_overlay"),
                rs.getString("work_disk_path"),
                rs.getString("last_error"),
                rs.getString("from_snapshot"));
        return new VmRecord(rs.getString("id"), spec, runtime, Instant.parse(rs.getString("created_at")),
                Instant.parse(rs.getString("updated_at")));
    }
}
