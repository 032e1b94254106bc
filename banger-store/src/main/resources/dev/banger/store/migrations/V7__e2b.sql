-- V7: the E2B-compatible API (daemon.e2b).
--   e2b_keys: API keys, kept only as SHA-256(salt || key); revoked keys stay listed with revoked_at set.
--   e2b_sandboxes: a sandbox is a banger VM (sandbox_id is the VM's id) plus what E2B says of it: the key that made it,
--              the template asked for and the image it became, metadata and env vars (JSON objects of strings), when it
--              ends (the reaper deletes it then, also after a daemon restart) and the salt its envd token is derived from.
-- The sandbox row goes with its VM (deleted in the same path as the VM), not a foreign key: vms rows are the store's.
CREATE TABLE e2b_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    salt        BLOB NOT NULL,
    hash        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE e2b_sandboxes (
    sandbox_id  TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    template_id TEXT NOT NULL,
    image       TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    env_vars    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    end_at      TEXT NOT NULL,
    token_salt  BLOB NOT NULL
);
CREATE INDEX e2b_sandboxes_key ON e2b_sandboxes(key_id);
