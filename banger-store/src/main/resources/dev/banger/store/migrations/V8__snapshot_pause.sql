-- V8: a fourth snapshot kind, pause: an E2B sandbox's paused state (daemon.e2b pause). Its memory and devices are saved
-- and its VM stopped; the VM keeps its own disks, and its next start resumes that state over them once, after which
-- the snapshot is removed (SnapshotRestores). SQLite cannot change a CHECK in place: the table is rebuilt, same
-- columns and rows. No table refers to snapshots by a foreign key (vms.from_snapshot is checked by the service).
CREATE TABLE snapshots_v8 (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('user', 'template', 'fork', 'pause')),
    state           TEXT NOT NULL CHECK (state IN ('taking', 'ready')),
    source_vm_id    TEXT NOT NULL,
    source_vm_name  TEXT NOT NULL,
    image           TEXT NOT NULL,
    vmm             TEXT NOT NULL CHECK (vmm IN ('qemu', 'firecracker')),
    vmm_version     TEXT NOT NULL,
    machine         TEXT NOT NULL,
    accelerator     TEXT NOT NULL,
    vcpus           INTEGER NOT NULL CHECK (vcpus >= 1),
    memory_mib      INTEGER NOT NULL CHECK (memory_mib >= 1),
    root_disk_mib   INTEGER NOT NULL CHECK (root_disk_mib >= 0),
    work_disk_mib   INTEGER NOT NULL CHECK (work_disk_mib > 0),
    template_key    TEXT UNIQUE,
    dir             TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    state_bytes     INTEGER NOT NULL DEFAULT 0 CHECK (state_bytes >= 0),
    paused_ms       INTEGER NOT NULL DEFAULT 0 CHECK (paused_ms >= 0),
    created_at      TEXT NOT NULL,
    CHECK ((kind = 'template') = (template_key IS NOT NULL))
);
INSERT INTO snapshots_v8 SELECT id, name, kind, state, source_vm_id, source_vm_name, image, vmm, vmm_version, machine, accelerator,
    vcpus, memory_mib, root_disk_mib, work_disk_mib, template_key, dir, size_bytes, state_bytes, paused_ms, created_at FROM snapshots;
DROP TABLE snapshots;
ALTER TABLE snapshots_v8 RENAME TO snapshots;
