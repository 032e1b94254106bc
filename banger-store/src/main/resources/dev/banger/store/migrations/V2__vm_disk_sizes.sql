-- V2: per-VM disk sizes. Rows from V1 keep the sizes they were implicitly made with:
-- root disk as large as the base image (0), a 4 GiB work disk.
ALTER TABLE vms ADD COLUMN root_disk_mib INTEGER NOT NULL DEFAULT 0 CHECK (root_disk_mib >= 0);
ALTER TABLE vms ADD COLUMN work_disk_mib INTEGER NOT NULL DEFAULT 4096 CHECK (work_disk_mib > 0);
CREATE INDEX vms_state ON vms(state);
