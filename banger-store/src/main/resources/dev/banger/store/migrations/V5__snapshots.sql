-- V5: snapshots. A snapshot is a running VM's memory and device state plus its disks, saved under
-- snapshots/<id>/ (StatePaths). Its row records what a restore needs (SnapshotNeeds: VMM and version,
-- machine type, accelerator, vCPUs, memory, image) so an incompatible restore is refused before anything
-- is attached. 'taking' rows are a snapshot under way: reconcile removes them and their files.
--   kind: user (vm snapshot), template (image warm: the instant vm run), fork (vm fork's shared layer,
--         removed with the last VM made from it)
--   template_key: a template's key (image, spec, VMM, version, machine, accelerator); unique among templates
CREATE TABLE snapshots (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('user', 'template', 'fork')),
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
-- The snapshot whose disks a VM's disks are layered on (NULL: the image's). Not a foreign key: the
-- service refuses to remove a snapshot while a row names it, and says which VMs.
ALTER TABLE vms ADD COLUMN from_snapshot TEXT;
CREATE INDEX vms_from_snapshot ON vms(from_snapshot);
