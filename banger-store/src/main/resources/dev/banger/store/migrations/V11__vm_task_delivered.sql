-- V11: how far a vm.task_attach client has handed each of a task's streams on (its DELIVERED records), so that a client
-- that restarted (banger-nomad, which keeps no state of its own) resumes its copy there instead of from the oldest byte
-- the agent still keeps. A new run of the task's name starts again at 0 (claim replaces the row).
ALTER TABLE vm_tasks ADD COLUMN stdout_delivered INTEGER NOT NULL DEFAULT 0 CHECK (stdout_delivered >= 0);
ALTER TABLE vm_tasks ADD COLUMN stderr_delivered INTEGER NOT NULL DEFAULT 0 CHECK (stderr_delivered >= 0);
