package dev.banger.daemon.task;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.channel.Exec;
import dev.banger.core.task.TaskRules;
import dev.banger.daemon.agent.GuestProcesses;
import dev.banger.daemon.vm.VmService;
import dev.banger.store.TaskStore;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * One watcher per running task: a virtual thread that holds an attachment to the task's process (output read and
 * dropped in a fixed buffer, so memory stays constant however much it writes) until its EXIT, which it records. When
 * the attachment ends without one (the channel reset, the agent or the VM went away), it reads the agent's table
 * ({@link TaskRules#observe}) and either records the exit, attaches again, or records the task lost; while the VM
 * runs but its agent does not answer, it retries, backing off to 5 s.
 */
final class TaskWatchers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TaskWatchers.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final TaskService tasks;
    private final VmService vms;
    private final GuestProcesses processes;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private volatile boolean closed;

    TaskWatchers(TaskService tasks, VmService vms, GuestProcesses processes) {
        this.tasks = tasks;
        this.vms = vms;
        this.processes = processes;
    }

    /** A task's watch: its thread and the attachment it reads now (closed to stop it). */
    private static final class Watch {
        volatile boolean stopped;
        volatile GuestProcesses.Attached current;
        Thread thread;

        void stop() {
            stopped = true;
            GuestProcesses.Attached a = current;
            if (a != null) {
                a.close();
            }
            if (thread != null) {
                thread.interrupt();
            }
        }
    }

    /** Follows the run {@code agentId} of task {@code name}, from {@code first}, the attachment its start made. */
    void follow(String vmId, String name, String agentId, GuestProcesses.Attached first) {
        watch(vmId, name, agentId, first);
    }

    /** Follows a task found running at bangerd's start (its agent id null when the daemon died before the agent answered). */
    void recover(TaskStore.Task t) {
        watch(t.vmId(), t.name(), t.agentId(), null);
    }

    private void watch(String vmId, String name, String agentId, GuestProcesses.Attached first) {
        String key = vmId + "/" + name;
        Watch w = new Watch();
        w.current = first;
        Watch before = watches.put(key, w);
        if (before != null) {
            before.stop();
        }
        if (closed) {
            w.stop();
            return;
        }
        w.thread = Thread.ofVirtual().name("task-" + key).unstarted(() -> {
            try {
                run(w, vmId, name, agentId, first);
            } catch (RuntimeException e) {
                LOG.warning("watcher of task " + name + " of VM " + vmId + " failed: " + e);
            } finally {
                watches.remove(key, w);
                GuestProcesses.Attached a = w.current;
                if (a != null) {
                    a.close();
                }
            }
        });
        w.thread.start();
    }

    private void run(Watch w, String vmId, String name, String agentId, GuestProcesses.Attached first) {
        String id = agentId;
        GuestProcesses.Attached a = first;
        int failures = 0;
        while (!w.stopped) {
            VmRecord vm;
            try {
                vm = vms.get(vmId);
            } catch (BangerException e) {
                return; // deleted: its rows went with it
            }
            Optional<TaskStore.Task> row = tasks.row(vmId, name);
            if (row.isEmpty() || !row.get().running() || !Objects.equals(row.get().agentId(), id)) {
                return; // settled elsewhere (an attach collected its exit, the VM stopped, a new run)
            }
            if (vm.state() != VmState.RUNNING) {
                tasks.lost(vmId, name, id, "the VM is " + vm.state().wireName() + ": it stopped before the task's exit was known");
                return;
            }
            try {
                if (a == null) {
                    TaskRules.Observation o = observe(vm, id, name);
                    switch (o) {
                        case TaskRules.Observation.Exited x -> {
                            tasks.exited(vmId, name, id, Exec.Exit.reported(x.status(), x.signal()));
                            return;
                        }
                        case TaskRules.Observation.Gone g -> {
                            tasks.lost(vmId, name, id, id == null ? "bangerd stopped while starting the task, and the VM's guest agent runs "
                                    + "no process tagged " + TaskRules.tag(name) : g.reason());
                            return;
                        }
                        case TaskRules.Observation.Running r -> {
                            if (id == null) {
                                if (!tasks.adopt(row.get(), r.id(), r.pid())) {
                                    return;
                                }
                                id = r.id();
                            }
                        }
                    }
                    a = processes.connect(vm, GuestProcesses.Selector.id(id), false);
                }
                w.current = a;
                if (w.stopped) {
                    return;
                }
                GuestProcesses.Event e;
                while ((e = a.next()) != null) {
                    if (e.type() == Exec.EXIT) {
                        tasks.exited(vmId, name, id, e.exit());
                        return;
                    }
                    if (e.type() == Exec.ERROR) {
                        break;
                    }
                    failures = 0;
                }
            } catch (BangerException e) {
                if (e.code() != ErrorCode.NOT_FOUND && e.code() != ErrorCode.AGENT_UNAVAILABLE && e.code() != ErrorCode.FAILED_PRECONDITION) {
                    LOG.fine("watcher of task " + name + " of VM " + vmId + ": " + e.getMessage());
                }
            } catch (IOException e) {
                // the attachment broke: look again
            } finally {
                if (a != null) {
                    a.close();
                }
                a = null;
                w.current = null;
            }
            try {
                Thread.sleep(Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(failures++, 6)));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The task's run in the agent's table: by its id, or by its tag (a running entry) when bangerd never learnt the id. */
    private TaskRules.Observation observe(VmRecord vm, String id, String name) {
        String tag = TaskRules.tag(name);
        GuestProcesses.Process found = null;
        for (GuestProcesses.Process p : processes.list(vm)) {
            if (id != null ? p.id().equals(id) : tag.equals(p.tag()) && p.running()) {
                found = p;
            }
        }
        return found == null ? TaskRules.observe(false, null, 0, false, null, 0)
                : TaskRules.observe(true, found.id(), found.pid(), found.running(), found.exitStatus(), found.exitSignal());
    }

    /** Stops the watchers of {@code vmId}'s tasks. */
    void stopVm(String vmId) {
        watches.forEach((key, w) -> {
            if (key.startsWith(vmId + "/")) {
                w.stop();
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        watches.values().forEach(Watch::stop);
    }
}
