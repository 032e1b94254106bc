-- V10: the signal that ended a task's process (daemon.task), beside its exit code, which is then 128 + signal as a shell
-- reports it: exit_code alone cannot tell `kill -9` from `exit 137`. NULL: the task has not exited, no signal ended it,
-- or its VM's guest agent is older than this column and did not say (rows from before V10 are all of this kind).
ALTER TABLE vm_tasks ADD COLUMN signal INTEGER CHECK (signal IS NULL OR (signal BETWEEN 1 AND 64 AND exit_code = 128 + signal));
