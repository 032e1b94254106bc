package dev.banger.store;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.PublishedPort;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The {@code vm_publishes} table: which VM publishes which host port. Its primary key (protocol, host port) is
 * the rule that one host port belongs to one VM: an insert that breaks it is refused naming the holder.
 */
public final class PublishStore {
    private final Database db;

    PublishStore(Database db) {
        this.db = db;
    }

    /** Adds {@code port} to VM {@code vmId}'s published ports; refused (FAILED_PRECONDITION) when another VM, or this one, has its host port. */
    public void add(String vmId, PublishedPort port, Instant now) {
        db.call(c -> {
            insert(c, vmId, port, now);
            return null;
        });
    }

    /** Removes the published port of VM {@code vmId} on {@code port}'s protocol and host port; whether there was one. */
    public boolean remove(String vmId, PublishedPort port) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM vm_publishes WHERE vm_id=? AND protocol=? AND host_port=?")) {
                ps.setString(1, vmId);
                ps.setString(2, port.protocol());
                ps.setInt(3, port.hostPort());
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Every VM's published ports, by VM id. */
    public Map<String, List<PublishedPort>> all() {
        return db.call(c -> byVm(c, null));
    }

    /** The name of the VM holding {@code protocol}/{@code hostPort}, if any. */
    public java.util.Optional<String> holder(String protocol, int hostPort) {
        return db.call(c -> holder(c, protocol, hostPort));
    }

    static void insert(Connection c, String vmId, PublishedPort p, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO vm_publishes (vm_id, protocol, host_ip, host_port, guest_port, created_at) VALUES (?,?,?,?,?,?)")) {
            ps.setString(1, vmId);
            ps.setString(2, p.protocol());
            ps.setString(3, p.hostIp());
            ps.setInt(4, p.hostPort());
            ps.setInt(5, p.guestPort());
            ps.setString(6, now.toString());
            ps.executeUpdate();
        } catch (SQLiteException e) {
            if (e.getResultCode() != SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY && e.getResultCode() != SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) {
                throw e;
            }
            String who = holder(c, p.protocol(), p.hostPort()).map(n -> "VM '" + n + "'").orElse("another VM");
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "host port " + p.hostPort() + "/" + p.protocol()
                    + " is already published by " + who + ": choose another host port, or 'banger vm unpublish' it there first");
        }
    }

    static java.util.Optional<String> holder(Connection c, String protocol, int hostPort) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT v.name, p.vm_id FROM vm_publishes p LEFT JOIN vms v ON v.id = p.vm_id "
                + "WHERE p.protocol=? AND p.host_port=?")) {
            ps.setString(1, protocol);
            ps.setInt(2, hostPort);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of(rs.getString(1) != null ? rs.getString(1) : rs.getString(2)) : java.util.Optional.empty();
            }
        }
    }

    static Map<String, List<PublishedPort>> byVm(Connection c, String vmId) throws SQLException {
        Map<String, List<PublishedPort>> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT vm_id, host_ip, host_port, guest_port, protocol FROM vm_publishes"
                + (vmId == null ? "" : " WHERE vm_id=?") + " ORDER BY vm_id, protocol, host_port")) {
            if (vmId != null) {
                ps.setString(1, vmId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(new PublishedPort(rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getString(5)));
                }
            }
        }
        return out;
    }
}
