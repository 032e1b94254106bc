-- V6: a VM's host directory mounts and its published ports: durable intent, applied at each start
-- (virtiofsd processes and the daemon's forwarders are transient handles, never stored).
--   vm_mounts: fixed at creation, in order (idx gives the virtiofs tag banger<idx>); uid/gid are the host
--              user the guest's root acts as through the mount (never 0: the daemon refuses root).
--   vm_publishes: one host port per protocol on the host, whatever the address: the primary key is the
--              rule, so two VMs racing for one port cannot both win.
-- Not foreign keys (the store deletes a VM's rows with it, in one transaction).
CREATE TABLE vm_mounts (
    vm_id       TEXT NOT NULL,
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    host_dir    TEXT NOT NULL,
    guest_dir   TEXT NOT NULL,
    read_only   INTEGER NOT NULL CHECK (read_only IN (0, 1)),
    uid         INTEGER NOT NULL CHECK (uid > 0),
    gid         INTEGER NOT NULL CHECK (gid > 0),
    PRIMARY KEY (vm_id, idx),
    UNIQUE (vm_id, guest_dir)
);
CREATE TABLE vm_publishes (
    vm_id       TEXT NOT NULL,
    protocol    TEXT NOT NULL CHECK (protocol IN ('tcp', 'udp')),
    host_ip     TEXT NOT NULL,
    host_port   INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
    guest_port  INTEGER NOT NULL CHECK (guest_port BETWEEN 1 AND 65535),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (protocol, host_port)
);
CREATE INDEX vm_publishes_vm ON vm_publishes(vm_id);
