-- V9: a VM's durable tasks (daemon.task): a process started in the VM's guest agent under the tag banger.task/NAME,
-- whose exit bangerd records here the moment it learns it, so that a wait after bangerd's or its client's restart,
-- or long after the agent forgot the process, still gets it.
--   state: running (started, end not known), exited (exit_code 0-255, 128+N for signal N), lost (reason says why no
--          exit can be known: the VM stopped, the agent restarted or forgot it).
--   agent_id, pid: the agent's entry, NULL between the row's claim and the agent's answer (a daemon killed there
--          leaves a row its reconcile settles by the tag).
--   argv: a JSON array of strings (bounded by vm.exec's 48 KiB request).
-- The rows go with their VM (deleted in the VM's delete transaction), not a foreign key: vms rows are the store's.
CREATE TABLE vm_tasks (
    vm_id       TEXT NOT NULL,
    name        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'exited', 'lost')),
    agent_id    TEXT,
    pid         INTEGER CHECK (pid IS NULL OR pid > 0),
    argv        TEXT NOT NULL,
    exit_code   INTEGER CHECK (exit_code IS NULL OR exit_code BETWEEN 0 AND 255),
    reason      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (vm_id, name),
    CHECK ((state = 'exited') = (exit_code IS NOT NULL)),
    CHECK ((state = 'running') = (finished_at IS NULL))
);
