package dev.banger.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.banger.api.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The E2B API's tables ({@code e2b_keys}, {@code e2b_sandboxes}, schema V7): API keys as salted hashes, sandboxes' E2B state. */
public final class E2bStore {
    private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {
    };
    private final Database db;

    E2bStore(Database db) {
        this.db = db;
    }

    /** An API key as stored: never the key itself. */
    public record StoredKey(String id, String name, byte[] salt, byte[] hash, Instant createdAt, Instant revokedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    /** A sandbox's E2B state; the VM is the store's {@code vms} row of the same id. */
    public record Sandbox(String sandboxId, String keyId, String templateId, String image, Map<String, String> metadata,
                          Map<String, String> envVars, Instant startedAt, Instant endAt, byte[] tokenSalt) {
        public Sandbox {
            metadata = Map.copyOf(metadata);
            envVars = Map.copyOf(envVars);
        }

        public Sandbox withEndAt(Instant end) {
            return new Sandbox(sandboxId, keyId, templateId, image, metadata, envVars, startedAt, end, tokenSalt);
        }
    }

    public void insertKey(StoredKey k) {
        db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO e2b_keys (id, name, salt, hash, created_at, revoked_at) VALUES (?,?,?,?,?,NULL)")) {
                ps.setString(1, k.id());
                ps.setString(2, k.name());
                ps.setBytes(3, k.salt());
                ps.setBytes(4, k.hash());
                ps.setString(5, k.createdAt().toString());
                ps.executeUpdate();
                return null;
            }
        });
    }

    /** Every key, revoked ones too, oldest first. */
    public List<StoredKey> keys() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, salt, hash, created_at, revoked_at FROM e2b_keys ORDER BY created_at, id");
                 ResultSet rs = ps.executeQuery()) {
                List<StoredKey> out = new ArrayList<>();
                while (rs.next()) {
                    String revoked = rs.getString(6);
                    out.add(new StoredKey(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getBytes(4),
                            Instant.parse(rs.getString(5)), revoked == null ? null : Instant.parse(revoked)));
                }
                return out;
            }
        });
    }

    /** Revokes key {@code id}; false when there is no such key or it was revoked already. */
    public boolean revokeKey(String id, Instant now) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE e2b_keys SET revoked_at=? WHERE id=? AND revoked_at IS NULL")) {
                ps.setString(1, now.toString());
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    public void insertSandbox(Sandbox s) {
        db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO e2b_sandboxes (sandbox_id, key_id, template_id, image, metadata, "
                    + "env_vars, started_at, end_at, token_salt) VALUES (?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, s.sandboxId());
                ps.setString(2, s.keyId());
                ps.setString(3, s.templateId());
                ps.setString(4, s.image());
                ps.setString(5, json(s.metadata()));
                ps.setString(6, json(s.envVars()));
                ps.setString(7, s.startedAt().toString());
                ps.setString(8, s.endAt().toString());
                ps.setBytes(9, s.tokenSalt());
                ps.executeUpdate();
                return null;
            }
        });
    }

    /** Every sandbox, soonest to end first. */
    public List<Sandbox> sandboxes() {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SANDBOX_COLUMNS + " FROM e2b_sandboxes ORDER BY end_at, sandbox_id");
                 ResultSet rs = ps.executeQuery()) {
                List<Sandbox> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(sandbox(rs));
                }
                return out;
            }
        });
    }

    public Optional<Sandbox> sandbox(String id) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SANDBOX_COLUMNS + " FROM e2b_sandboxes WHERE sandbox_id=?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(sandbox(rs)) : Optional.<Sandbox>empty();
                }
            }
        });
    }

    /** Sets when sandbox {@code id} ends; false when there is no such sandbox. */
    public boolean setEndAt(String id, Instant endAt) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE e2b_sandboxes SET end_at=? WHERE sandbox_id=?")) {
                ps.setString(1, endAt.toString());
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Forgets sandbox {@code id} (its VM is gone or going); whether there was one. */
    public boolean deleteSandbox(String id) {
        return db.call(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM e2b_sandboxes WHERE sandbox_id=?")) {
                ps.setString(1, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    private static final String SANDBOX_COLUMNS = "sandbox_id, key_id, template_id, image, metadata, env_vars, started_at, end_at, token_salt";

    private static Sandbox sandbox(ResultSet rs) throws SQLException {
        return new Sandbox(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), strings(rs.getString(5)),
                strings(rs.getString(6)), Instant.parse(rs.getString(7)), Instant.parse(rs.getString(8)), rs.getBytes(9));
    }

    private static String json(Map<String, String> map) {
        try {
            return Json.MAPPER.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serialises", e);
        }
    }

    private static Map<String, String> strings(String json) throws SQLException {
        try {
            return Json.MAPPER.readValue(json, STRINGS);
        } catch (JsonProcessingException e) {
            throw new SQLException("e2b_sandboxes: a JSON column is damaged: " + e.getOriginalMessage(), e);
        }
    }
}
