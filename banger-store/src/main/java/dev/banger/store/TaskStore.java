package dev.banger.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.banger.api.Json;
import dev.banger.core.task.TaskRules;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code vm_tasks} table (schema V9; V10 adds {@code signal}, V11 the client's delivered positions): a VM's durable tasks and, once bangerd learnt it, each
 * one's exit and the signal that ended it. A task's
 * end is written once: only a row still running, and still the same run (its agent id), takes an exit or a loss, so a
 * late report about an earlier run of the same name never overwrites the current one.
 */
public final class TaskStore {
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };
    private static final String COLUMNS = "vm_id, name, state, agent_id, pid, argv, exit_code, reason, started_at, finished_at, signal";
    private final Database db;

    TaskStore(Database db) {
        this.db = db;
    }

    /**
     * One row. {@code agentId} and {@code pid} are null until the agent answered the start; {@code signal} is the one
     * that ended the process (its exit code is then 128 + signal), null when none did or the agent did not say.
     */
    public record Task(String vmId, String name, TaskRules.State state, String agentId, Long pid, List<String> argv, Integer exitCode,
                       Integer signal, String reason, Instant startedAt, Instant finishedAt) {
        public Task {
            argv = List.copyOf(argv);
        }

        public boolean running() {
            return state == TaskRules.State.RUNNING;
        }
    }

    /**
     * Claims {@code name} on {@code vmId} for a new run, in one transaction: a running row is returned and left alone
     * (the caller refuses); anything else, an ended run included, is replaced by a running row without an agent id.
     */
    public Optional<Task> claim(String vmId, String name, List<String> argv, Instant now) {
        return db.transaction(c -> {
            Optional<Task> existing = find(c, vmId, name);
            if (existing.isPresent() && existing.get().running()) {
                return existing;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO vm_tasks (" + COLUMNS + ") VALUES (?,?,'running',NULL,NULL,?,NULL,NULL,?,NULL,NULL)")) {
                ps.setString(1, vmId);
                ps.setString(2, name);
                ps.setString(3, json(argv));
                ps.setString(4, now.toString());
                ps.executeUpdate();
            }
            return Optional.empty();
        });
    }

    /** The agent started the claimed run: its id and pid. False when the row is no longer that claim. */
    public boolean started(String vmId, String name, Instant claimedAt, String agentId, long pid) {
        return update("UPDATE vm_tasks SET agent_id=?, pid=? WHERE vm_id=? AND name=? AND state='running' AND agent_id IS NULL AND started_at=?",
                agentId, pid, vmId, name, claimedAt.toString());
    }

    /** The claim whose start failed is withdrawn (the caller got the error). */
    public void unclaim(String vmId, String name, Instant claimedAt) {
        update("DELETE FROM vm_tasks WHERE vm_id=? AND name=? AND state='running' AND agent_id IS NULL AND started_at=?", vmId, name,
                claimedAt.toString());
    }

    /**
     * Records the run {@code agentId}'s exit, and {@code signal} when one ended it (null otherwise); false when that run is
     * not running any more (its end was recorded already).
     */
    public boolean exited(String vmId, String name, String agentId, int exitCode, Integer signal, Instant now) {
        return update("UPDATE vm_tasks SET state='exited', exit_code=?, signal=?, finished_at=? WHERE vm_id=? AND name=? AND state='running' "
                + "AND agent_id IS ?", exitCode, signal, now.toString(), vmId, name, agentId);
    }

    /** The run {@code agentId} (null: a claim never answered) ended without a known exit, for {@code reason}. */
    public boolean lost(String vmId, String name, String agentId, String reason, Instant now) {
        return update("UPDATE vm_tasks SET state='lost', reason=?, finished_at=? WHERE vm_id=? AND name=? AND state='running' AND agent_id IS ?",
                reason, now.toString(), vmId, name, agentId);
    }

    /** How far a vm.task_attach client said it handed each stream on (DELIVERED records); 0, 0 before any. */
    public record Delivered(long stdout, long stderr) {
        public static final Delivered NONE = new Delivered(0, 0);
    }

    /**
     * Records the run {@code agentId}'s delivered positions; each only ever moves forward (a late, smaller report from a
     * client that was replaced changes nothing). False when the row is not that run any more.
     */
    public boolean delivered(String vmId, String name, String agentId, Delivered d) {
        return update("UPDATE vm_tasks SET stdout_delivered=MAX(stdout_delivered, ?), stderr_delivered=MAX(stderr_delivered, ?) "
                + "WHERE vm_id=? AND name=? AND agent_id IS ?", d.stdout(), d.stderr(), vmId, name, agentId);
    }

    /** The delivered positions of task {@code name}'s current run; {@link Delivered#NONE} when there is no such row. */
    public Delivered deliveredOf(String vmId, String name) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT stdout_delivered, stderr_delivered FROM vm_tasks WHERE vm_id=? AND name=?")) {
                ps.setString(1, vmId);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? new Delivered(rs.getLong(1), rs.getLong(2)) : Delivered.NONE;
                }
            }
        });
    }

    public Optional<Task> find(String vmId, String name) {
        return db.call(c -> find(c, vmId, name));
    }

    /** Every running task, of every VM. */
    public List<Task> running() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vm_tasks WHERE state='running' ORDER BY vm_id, name");
                 ResultSet rs = ps.executeQuery()) {
                List<Task> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(task(rs));
                }
                return out;
            }
        });
    }

    private static Optional<Task> find(java.sql.Connection c, String vmId, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vm_tasks WHERE vm_id=? AND name=?")) {
            ps.setString(1, vmId);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(task(rs)) : Optional.empty();
            }
        }
    }

    private boolean update(String sql, Object... values) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < values.length; i++) {
                    if (values[i] == null) {
                        ps.setNull(i + 1, Types.VARCHAR);
                    } else {
                        ps.setObject(i + 1, values[i]);
                    }
                }
                return ps.executeUpdate() == 1;
            }
        });
    }

    private static Task task(ResultSet rs) throws SQLException {
        long pid = rs.getLong(5);
        Long pidOrNull = rs.wasNull() ? null : pid;
        int code = rs.getInt(7);
        Integer codeOrNull = rs.wasNull() ? null : code;
        String finished = rs.getString(10);
        int signal = rs.getInt(11);
        Integer signalOrNull = rs.wasNull() ? null : signal;
        return new Task(rs.getString(1), rs.getString(2), TaskRules.State.of(rs.getString(3)), rs.getString(4), pidOrNull, argv(rs.getString(6)),
                codeOrNull, signalOrNull, rs.getString(8), Instant.parse(rs.getString(9)), finished == null ? null : Instant.parse(finished));
    }

    private static String json(List<String> argv) {
        try {
            return Json.MAPPER.writeValueAsString(argv);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> argv(String json) {
        try {
            return Json.MAPPER.readValue(json, STRINGS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("vm_tasks.argv is not a JSON list of strings", e);
        }
    }
}
