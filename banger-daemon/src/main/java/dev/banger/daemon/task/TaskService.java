package dev.banger.daemon.task;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.channel.Exec;
import dev.banger.core.exec.ExecRules;
import dev.banger.core.task.TaskRules;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.agent.GuestProcesses;
import dev.banger.daemon.agent.RunningVms;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vm.VmService;
import dev.banger.store.TaskStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A VM's durable tasks ({@code vm.task_*}): a process started in the VM's guest agent (a shared detached entry tagged
 * {@code banger.task/NAME}, so any number of attachments may follow it) whose exit bangerd writes to {@code vm_tasks}
 * the moment it learns it: from the EXIT record of an attachment it holds (its own watcher, one per running task, or a
 * client's {@code vm.task_attach}), or from the agent's table. After bangerd's own restart, {@link #restore} settles
 * each task still running from the agent's table and follows it again; a task whose VM stopped is {@code lost}. So a
 * wait after any restart, or long after the agent forgot the process, still answers from SQLite.
 *
 * <p>Why a room of its own: it keeps durable rows and live watchers and follows the lifecycle
 * ({@code VmTransitions.afterMove}, {@code VmService.afterDelete}), as {@code daemon.publish} does; it reaches guests only
 * through the agent room's {@link GuestProcesses}, whose detached processes it builds on.
 */
public final class TaskService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TaskService.class.getName());
    static final String PROTOCOL = "task-records/1";

    private final TaskStore store;
    private final VmService vms;
    private final AgentSessions sessions;
    private final GuestProcesses processes;
    private final Clock clock;
    private final TaskWatchers watchers;
    /** Notified whenever a task's end is recorded or its VM goes: what waits wake on. */
    private final Object ended = new Object();

    public TaskService(TaskStore store, VmService vms, AgentSessions sessions, Clock clock) {
        this.store = store;
        this.vms = vms;
        this.sessions = sessions;
        this.processes = new GuestProcesses(sessions);
        this.clock = clock;
        this.watchers = new TaskWatchers(this, vms, processes);
    }

    /**
     * {@code vm.task_start}: checks the command as {@code vm.exec_detach} does, waits for the guest's ready milestone,
     * claims the name in SQLite (refused while a run of it is running), then starts the process in the agent, attached,
     * and hands that attachment to the task's watcher. A failed start withdraws the claim.
     */
    public Params.TaskStatus start(Params.VmTaskStart p) {
        String name = TaskRules.name(p.task());
        ExecRules.Command command = ExecRules.checkDetached(p.argv(), p.env(), p.cwd(), p.user(), false);
        VmRecord vm = RunningVms.ready(vms, sessions, p.vm(), p.readyTimeoutMs(), "vm.task_start");
        Instant claimed = clock.instant();
        Optional<TaskStore.Task> running = store.claim(vm.id(), name, command.argv(), claimed);
        if (running.isPresent()) {
            TaskStore.Task t = running.get();
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "task '" + name + "' of VM '" + vm.name() + "' is running"
                    + (t.pid() != null ? " (pid " + t.pid() + ")" : "") + " since " + t.startedAt() + ": wait for its end (vm.task_wait), "
                    + "signal it (vm.task_signal), or start a task of another name");
        }
        GuestProcesses.Attached attached;
        try {
            attached = processes.start(vm, new GuestProcesses.Spec(command.argv(), command.env(), command.cwd().isEmpty() ? null : command.cwd(),
                    command.user().isEmpty() ? null : command.user(), null, null, TaskRules.tag(name), false));
        } catch (BangerException e) {
            store.unclaim(vm.id(), name, claimed);
            if (e.code() == ErrorCode.NAME_TAKEN) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vm.name() + "' runs a process tagged " + TaskRules.tag(name)
                        + " that bangerd has no record of (a database put back from a backup?): kill it (vm.exec_list shows it, "
                        + "vm.exec_signal kills it) or start a task of another name", e);
            }
            throw e;
        } catch (RuntimeException e) {
            store.unclaim(vm.id(), name, claimed);
            throw e;
        }
        if (!store.started(vm.id(), name, claimed, attached.id(), attached.pid())) {
            // The VM stopped or was deleted between the claim and the agent's answer: its end is recorded already.
            attached.close();
            throw new BangerException(ErrorCode.CANCELLED, "VM '" + vm.name() + "' stopped or was deleted while its task '" + name
                    + "' was starting");
        }
        watchers.follow(vm.id(), name, attached.id(), attached);
        return status(vm, find(vm, name));
    }

    /** {@code vm.task_status}: what SQLite says, now. */
    public Params.TaskStatus status(Params.VmTaskRef p) {
        VmRecord vm = vms.get(p.vm());
        return status(vm, find(vm, TaskRules.name(p.task())));
    }

    /**
     * {@code vm.task_wait}: blocks until the task is no longer running or {@code timeout_ms} passed, and answers as
     * {@code vm.task_status} (still {@code running} after a timeout). Reads SQLite only: a wait never touches the guest.
     */
    public Params.TaskStatus await(Params.VmTaskWait p) {
        String name = TaskRules.name(p.task());
        long deadline = System.nanoTime() + TaskRules.waitMillis(p.timeoutMs()) * 1_000_000;
        while (true) {
            VmRecord vm = vms.get(p.vm());
            TaskStore.Task t = find(vm, name);
            long left = deadline - System.nanoTime();
            if (!t.running() || left <= 0) {
                return status(vm, t);
            }
            synchronized (ended) {
                try {
                    // Woken by a recorded end; the bound re-reads anyway, so a missed notification costs a second at most.
                    ended.wait(Math.max(1, Math.min(left / 1_000_000, 1_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BangerException(ErrorCode.CANCELLED, "the wait for task '" + name + "' was interrupted (bangerd is stopping)");
                }
            }
        }
    }

    /** {@code vm.task_signal}: a signal to the running task's process group, through its agent. */
    public Params.ExecSignalled signal(Params.VmTaskSignal p) {
        String name = TaskRules.name(p.task());
        ExecRules.Signal signal = ExecRules.signal(p.signal());
        VmRecord vm = vms.getRunning(p.vm());
        TaskStore.Task t = find(vm, name);
        if (!t.running()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "task '" + name + "' of VM '" + vm.name() + "' has ended ("
                    + ended(t) + "): nothing to signal");
        }
        if (t.agentId() == null) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "task '" + name + "' of VM '" + vm.name() + "' is still starting: "
                    + "signal it once vm.task_start has answered");
        }
        processes.signal(vm, GuestProcesses.Selector.id(t.agentId()), signal.number());
        return new Params.ExecSignalled(vm.name(), t.agentId(), t.pid(), signal.name(), signal.number());
    }

    /**
     * {@code vm.task_attach}: the task's output from the client's offsets (or, resuming, from the positions its clients
     * reported delivered) and then its exit ({@link TaskAttach}). A task
     * that has exited and whose output the agent no longer holds (or whose VM no longer runs) gets its exit from SQLite.
     */
    public Params.Conversation attach(Params.VmTaskAttach p, Call call) {
        String name = TaskRules.name(p.task());
        long stdoutFrom = TaskRules.offset(p.stdoutOffset(), "stdout_offset");
        long stderrFrom = TaskRules.offset(p.stderrOffset(), "stderr_offset");
        VmRecord vm = vms.get(p.vm());
        TaskStore.Task t = find(vm, name);
        boolean resume = Boolean.TRUE.equals(p.resume());
        if (resume) {
            TaskStore.Delivered d = store.deliveredOf(vm.id(), name);
            stdoutFrom = p.stdoutOffset() != null ? stdoutFrom : d.stdout();
            stderrFrom = p.stderrOffset() != null ? stderrFrom : d.stderr();
        }
        GuestProcesses.Attached attached = null;
        if (t.state() == TaskRules.State.LOST) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "task '" + name + "' of VM '" + vm.name() + "' ended without its exit "
                    + "being known: " + t.reason());
        }
        if (vm.state() == VmState.RUNNING && t.agentId() != null) {
            try {
                attached = processes.connect(vm, GuestProcesses.Selector.id(t.agentId()), true);
            } catch (BangerException e) {
                t = find(vm, name); // the watcher may have collected the exit meanwhile
                if (e.code() != ErrorCode.NOT_FOUND || t.state() != TaskRules.State.EXITED) {
                    throw e;
                }
            }
        } else if (t.running()) {
            if (vm.state() != VmState.RUNNING) {
                vms.getRunning(p.vm()); // its refusal says how to start the VM
            }
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "task '" + name + "' of VM '" + vm.name() + "' is still starting: "
                    + "attach once vm.task_start has answered");
        }
        String transport = attached != null ? sessions.transportOf(vm) : "none";
        String agentId = t.agentId();
        call.continueWith(new TaskAttach(attached, t, new TaskAttach.From(stdoutFrom, stderrFrom, resume), vm.name(),
                exit -> exited(vm.id(), name, agentId, exit), () -> find(vm, name),
                d -> store.delivered(vm.id(), name, agentId, d)));
        return new Params.Conversation(vm.name(), PROTOCOL, transport);
    }

    /** The VM moved: once it is stopped (or broken), its running tasks can no longer tell their exit. */
    public void vmMoved(VmRecord vm) {
        if (vm.state() == VmState.STOPPED || vm.state() == VmState.ERROR) {
            vmGone(vm.id(), "the VM " + (vm.state() == VmState.STOPPED ? "stopped" : "failed") + " before the task's exit was known");
        }
    }

    /** The VM was deleted: its rows went with it; its watchers stop and its waiters wake (to NOT_FOUND). */
    public void vmDeleted(VmRecord vm) {
        watchers.stopVm(vm.id());
        wake();
    }

    /**
     * After reconcile, before serving: every task still running is followed again (its watcher first reads the agent's
     * table: an exit that happened while bangerd was down is recorded at once); one whose VM does not run is lost.
     */
    public void restore() {
        for (TaskStore.Task t : store.running()) {
            VmRecord vm;
            try {
                vm = vms.get(t.vmId());
            } catch (BangerException e) {
                continue; // no such VM: its rows go with its delete
            }
            if (vm.state() == VmState.RUNNING) {
                watchers.recover(t);
            } else {
                lost(t.vmId(), t.name(), t.agentId(), "the VM was " + vm.state().wireName() + " when bangerd started: the task's exit cannot "
                        + "be known");
            }
        }
    }

    @Override
    public void close() {
        watchers.close();
        wake();
    }

    /**
     * Records the exit a guest reported for the run {@code agentId}: its status validated first (the guest is untrusted;
     * its signal was bounded where it was read, {@link Exec.Exit#read}).
     */
    void exited(String vmId, String name, String agentId, Exec.Exit exit) {
        long status = Integer.toUnsignedLong(exit.status());
        if (!TaskRules.validExit(status)) {
            lost(vmId, name, agentId, "the VM's guest agent reported exit status " + status + ", which is not one (0 to 255)");
            return;
        }
        Integer signal = exit.signalled() ? exit.signal() : null;
        if (store.exited(vmId, name, agentId, (int) status, signal, clock.instant())) {
            LOG.info("task " + name + " of VM " + vmId + " exited with status " + status + (signal != null ? " (signal " + signal + ")" : ""));
        }
        wake();
    }

    void lost(String vmId, String name, String agentId, String reason) {
        if (store.lost(vmId, name, agentId, reason, clock.instant())) {
            LOG.warning("task " + name + " of VM " + vmId + " lost: " + reason);
        }
        wake();
    }

    /** The claim {@code t} never answered: the agent's run of it, adopted (false when the row moved on meanwhile). */
    boolean adopt(TaskStore.Task t, String agentId, long pid) {
        return store.started(t.vmId(), t.name(), t.startedAt(), agentId, pid);
    }

    Optional<TaskStore.Task> row(String vmId, String name) {
        return store.find(vmId, name);
    }

    private void vmGone(String vmId, String reason) {
        watchers.stopVm(vmId);
        for (TaskStore.Task t : store.running()) {
            if (t.vmId().equals(vmId)) {
                lost(vmId, t.name(), t.agentId(), reason);
            }
        }
        wake();
    }

    private void wake() {
        synchronized (ended) {
            ended.notifyAll();
        }
    }

    private TaskStore.Task find(VmRecord vm, String name) {
        return store.find(vm.id(), name).orElseThrow(() -> BangerException.notFound("VM '" + vm.name() + "' has no task '" + name
                + "' (vm.task_start starts one)"));
    }

    private static String ended(TaskStore.Task t) {
        return t.state() == TaskRules.State.EXITED ? "exit code " + t.exitCode() + (t.signal() != null ? ", signal " + t.signal() : "")
                : "lost: " + t.reason();
    }

    static Params.TaskStatus status(VmRecord vm, TaskStore.Task t) {
        return new Params.TaskStatus(vm.name(), vm.id(), t.name(), t.state().wireName(), t.exitCode(), t.signal(), t.reason(), t.agentId(), t.pid(),
                List.copyOf(t.argv()), t.startedAt(), t.finishedAt());
    }
}
