-- V1: the durable VM record. Identity and intent, plus runtime fields that are durable or derived
-- deterministically at creation. Nothing transient (PIDs, taps, loop devices, dm names) belongs here.
CREATE TABLE vms (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    image           TEXT NOT NULL,
    vcpus           INTEGER NOT NULL CHECK (vcpus BETWEEN 1 AND 32),
    memory_mib      INTEGER NOT NULL CHECK (memory_mib >= 128),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    state           TEXT NOT NULL,
    guest_ip        TEXT UNIQUE,
    api_sock_path   TEXT NOT NULL,
    vsock_path      TEXT NOT NULL,
    vsock_cid       INTEGER NOT NULL UNIQUE,
    log_path        TEXT NOT NULL,
    metrics_path    TEXT NOT NULL,
    dns_name        TEXT NOT NULL,
    vm_dir          TEXT NOT NULL,
    system_overlay  TEXT NOT NULL,
    work_disk_path  TEXT NOT NULL,
    last_error      TEXT
);
