package dev.banger.nomad;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import dev.banger.channel.Exec;
import dev.banger.nomad.cty.ConfigException;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.drivers.proto.DriverGrpc;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CapabilitiesRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.CapabilitiesResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DestroyTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DestroyTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities.FSIsolation;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverCapabilities.MountConfigs;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DriverTaskEvent;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExitResult;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InspectTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InspectTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.NetworkIsolationSpec.NetworkIsolationMode;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.RecoverTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.RecoverTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.SignalTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.SignalTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StopTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StopTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfigSchemaRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfigSchemaResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskDriverStatus;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskEventsRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskHandle;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskState;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatus;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskResponse;
import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Nomad's {@code Driver} service: a task is one banger VM, created and started by StartTask, its command run as the
 * VM's bangerd task ({@code vm.task_*}, whose exit bangerd keeps in SQLite), deleted by DestroyTask.
 *
 * <p>Stateless by design: most RPCs name a task only by its id, and the VM's name is derived from that id
 * ({@link TaskNames}), so every RPC finds its VM through bangerd and a restarted plugin has lost nothing. The only
 * thing held in memory is the output copy of each task ({@link TaskOutput}, a thread), which RecoverTask starts again.
 * The TaskHandle's driver_state ({@link DriverState}) carries the VM's id so RecoverTask can tell the same VM from a
 * new one of the same name. Init and Shutdown are not overridden (UNIMPLEMENTED, which Nomad ignores); neither are the
 * network RPCs (a VM has its own network, {@code must_create_network} is false).
 */
final class BangerDriver extends DriverGrpc.DriverImplBase {
    /** The job's {@code config { ... }} of a banger task: the same spec the decoder reads ({@link TaskConfig#SPEC}). */
    static final Spec TASK_CONFIG_SCHEMA = Specs.of(TaskConfig.SPEC);

    /**
     * A VM signals and execs through its guest agent; its file system is its own image. Networking is banger's
     * (the VM's own interface and published ports), so the driver creates no Nomad network namespace, and Nomad's
     * host-volume mounts are not applied (a task's mounts are banger's {@code mount}).
     */
    static final DriverCapabilities CAPABILITIES = DriverCapabilities.newBuilder()
            .setSendSignals(true)
            .setExec(true)
            .setFsIsolation(FSIsolation.IMAGE)
            .addNetworkIsolationModes(NetworkIsolationMode.HOST)
            .setMustCreateNetwork(false)
            .setMountConfigs(MountConfigs.NO_MOUNTS)
            .build();

    static final Duration FINGERPRINT_PERIOD = Duration.ofSeconds(30);
    static final String DEFAULT_STOP_SIGNAL = "SIGTERM";
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /**
     * One vm.task_wait at a time blocks this long at most: well under the 60 s a DaemonClient waits for an answer
     * before it takes bangerd for hung (banger.replyTimeoutSeconds).
     */
    static final long WAIT_SLICE_MS = 30_000;
    private static final Duration MIN_STATS_INTERVAL = Duration.ofMillis(200);
    private static final Duration MAX_STATS_INTERVAL = Duration.ofMinutes(10);
    private static final Pattern SIGNAL = Pattern.compile("[A-Za-z0-9+]{1,16}");

    private final Supplier<Bangerd> bangerd;
    private final Function<Path, Fingerprints.Host> host;
    private final Duration fingerprintPeriod;
    /** One host core's MHz as Nomad counts them ({@link HostProbe#cpuMhzPerCore}), read once; 0 when not known. */
    private final long cpuMhzPerCore;
    private final Map<String, TaskOutput> outputs = new ConcurrentHashMap<>();
    /** VM names of the StartTasks under way here: the orphan sweep leaves them alone. */
    private final java.util.Set<String> starting = ConcurrentHashMap.newKeySet();

    /**
     * @param bangerd the node's bangerd as the plugin config says now (SetConfig may change it)
     * @param host what the fingerprint reads of the host, given bangerd's home (daemon.status)
     * @param cpuMhzPerCore one host core's MHz, which a task's {@code resources { cpu }} is counted in; 0 when not known
     */
    BangerDriver(Supplier<Bangerd> bangerd, Function<Path, Fingerprints.Host> host, Duration fingerprintPeriod,
            long cpuMhzPerCore) {
        this.bangerd = bangerd;
        this.host = host;
        this.fingerprintPeriod = fingerprintPeriod;
        this.cpuMhzPerCore = cpuMhzPerCore;
    }

    @Override
    public void taskConfigSchema(TaskConfigSchemaRequest request, StreamObserver<TaskConfigSchemaResponse> response) {
        response.onNext(TaskConfigSchemaResponse.newBuilder().setSpec(TASK_CONFIG_SCHEMA).build());
        response.onCompleted();
    }

    @Override
    public void capabilities(CapabilitiesRequest request, StreamObserver<CapabilitiesResponse> response) {
        response.onNext(CapabilitiesResponse.newBuilder().setCapabilities(CAPABILITIES).build());
        response.onCompleted();
    }

    // ---- fingerprint -------------------------------------------------------------------------------------------

    /**
     * The first fingerprint at once, then one each period that differs from the last sent (Nomad keeps the last). Each
     * healthy period also sweeps the VMs a crashed StartTask left behind ({@link OrphanSweep}).
     */
    @Override
    public void fingerprint(FingerprintRequest request, StreamObserver<FingerprintResponse> response) {
        ServerCallStreamObserver<FingerprintResponse> call = (ServerCallStreamObserver<FingerprintResponse>) response;
        Thread.ofPlatform().daemon().name("fingerprint").start(() -> {
            FingerprintResponse last = null;
            while (!call.isCancelled()) {
                FingerprintResponse now = fingerprintNow();
                if (now.getHealth() == FingerprintResponse.HealthState.HEALTHY) {
                    OrphanSweep.sweep(bangerd.get(), starting);
                }
                if (!now.equals(last)) {
                    synchronized (call) {
                        if (call.isCancelled()) {
                            return;
                        }
                        call.onNext(now);
                    }
                    last = now;
                }
                try {
                    Thread.sleep(fingerprintPeriod);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    FingerprintResponse fingerprintNow() {
        Bangerd b = bangerd.get();
        try {
            Params.DaemonStatus status = b.call(Rpcs.DAEMON_STATUS, null);
            Path home = status.home() == null ? null : Path.of(status.home());
            return Fingerprints.healthy(status, host.apply(home), b.where());
        } catch (BangerException e) {
            boolean installed = Files.isDirectory(Path.of(b.where()).getParent());
            return Fingerprints.unreachable(installed, "bangerd does not answer on " + b.where() + ": " + e.getMessage()
                    + " (start it: banger daemon start, or its system service)");
        } catch (RuntimeException e) {
            return Fingerprints.unreachable(true, "asking bangerd on " + b.where() + " failed: " + e);
        }
    }

    // ---- start, recover ---------------------------------------------------------------------------------------

    @Override
    public void startTask(StartTaskRequest request, StreamObserver<StartTaskResponse> response) {
        response.onNext(start(request.getTask()));
        response.onCompleted();
    }

    /**
     * Creates and starts the task's VM and starts its command. All or nothing: on any failure after the create, the
     * VM is deleted before the error is answered, so no half-made VM is left for anyone to find.
     */
    StartTaskResponse start(hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfig task) {
        TaskPlan plan;
        try {
            plan = TaskPlan.of(task, TaskConfig.decode(task.getMsgpackDriverConfig().toByteArray()), cpuMhzPerCore);
        } catch (ConfigException | IllegalArgumentException e) {
            return failed(false, e.getMessage());
        }
        if (!plan.droppedEnv().isEmpty()) {
            PluginLog.warn("task " + task.getId() + ": environment variables left out (names bangerd refuses, or past "
                    + "its bounds): " + String.join(", ", plan.droppedEnv().stream().limit(20).toList()));
        }
        String name = plan.create().name();
        starting.add(name);
        try {
            return start(task, plan);
        } finally {
            starting.remove(name);
        }
    }

    private StartTaskResponse start(hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskConfig task, TaskPlan plan) {
        Bangerd b = bangerd.get();
        VmRecord vm;
        try {
            vm = b.call(Rpcs.VM_CREATE, plan.create());
        } catch (BangerException e) {
            return failed(Errors.retryable(e.code()), "cannot create the task's VM: " + e.getMessage());
        }
        try {
            b.call(Rpcs.VM_START, new Params.VmRef(vm.id()));
            Params.VmTaskStart s = plan.start();
            b.call(Rpcs.VM_TASK_START, new Params.VmTaskStart(vm.id(), s.task(), s.argv(), s.env(), s.cwd(), s.user(),
                    s.readyTimeoutMs()));
        } catch (BangerException e) {
            deleteQuietly(b, vm.id());
            return failed(Errors.retryable(e.code()), "cannot start the task in VM " + vm.spec().name() + " (deleted): "
                    + e.getMessage());
        } catch (RuntimeException e) {
            deleteQuietly(b, vm.id());
            throw e;
        }
        follow(b, task.getId(), vm.spec().name(), task.getStdoutPath(), task.getStderrPath());
        TaskHandle handle = TaskHandle.newBuilder()
                .setVersion(DriverState.VERSION)
                .setConfig(task)
                .setState(TaskState.RUNNING)
                .setDriverState(ByteString.copyFrom(DriverState.of(vm.id(), vm.spec().name()).encode()))
                .build();
        PluginLog.info("task " + task.getId() + " runs in VM " + vm.spec().name() + " (" + vm.id() + ")");
        return StartTaskResponse.newBuilder().setResult(StartTaskResponse.Result.SUCCESS).setHandle(handle).build();
    }

    private static StartTaskResponse failed(boolean retry, String message) {
        return StartTaskResponse.newBuilder()
                .setResult(retry ? StartTaskResponse.Result.RETRY : StartTaskResponse.Result.FATAL)
                .setDriverErrorMsg(message)
                .build();
    }

    private static void deleteQuietly(Bangerd b, String vmId) {
        try {
            b.call(Rpcs.VM_DELETE, new Params.VmDelete(vmId, true));
        } catch (BangerException e) {
            PluginLog.error("could not delete VM " + vmId + " after its task failed to start: " + e.getMessage()
                    + " (delete it: banger vm delete --force " + vmId + ")");
        }
    }

    private void follow(Bangerd b, String taskId, String vm, String stdoutPath, String stderrPath) {
        outputs.compute(taskId, (id, old) -> {
            if (old != null && old.running()) {
                return old;
            }
            return TaskOutput.start(b, vm, stdoutPath, stderrPath);
        });
    }

    /**
     * After Nomad's client (or this plugin) restarted: the handle's VM must still be there, the same one (by id), or
     * the task is lost and the error makes Nomad reschedule it. A running task's output is followed again.
     */
    @Override
    public void recoverTask(RecoverTaskRequest request, StreamObserver<RecoverTaskResponse> response) {
        try {
            DriverState state = DriverState.decode(request.getHandle().getDriverState().toByteArray());
            String taskId = request.getTaskId().isEmpty() ? request.getHandle().getConfig().getId() : request.getTaskId();
            String expected = TaskNames.vmName(taskId);
            if (!expected.equals(state.vmName())) {
                throw Status.INVALID_ARGUMENT.withDescription("the handle's VM " + state.vmName() + " is not task "
                        + taskId + "'s (" + expected + ")").asRuntimeException();
            }
            Bangerd b = bangerd.get();
            VmRecord vm;
            try {
                vm = b.call(Rpcs.VM_GET, new Params.VmRef(state.vmId()));
            } catch (BangerException e) {
                if (e.code() == ErrorCode.NOT_FOUND) {
                    throw Status.NOT_FOUND.withDescription("task " + taskId + "'s VM " + state.vmName() + " ("
                            + state.vmId() + ") is gone").asRuntimeException();
                }
                throw e;
            }
            if (!vm.spec().name().equals(state.vmName())) {
                throw Status.NOT_FOUND.withDescription("VM " + state.vmId() + " is now named " + vm.spec().name()
                        + ", not " + state.vmName() + ": not this task's").asRuntimeException();
            }
            Params.TaskStatus t = b.call(Rpcs.VM_TASK_STATUS, new Params.VmTaskRef(vm.id(), state.task()));
            if ("running".equals(t.state())) {
                var cfg = request.getHandle().getConfig();
                follow(b, taskId, vm.spec().name(), cfg.getStdoutPath(), cfg.getStderrPath());
            }
            PluginLog.info("recovered task " + taskId + ": VM " + vm.spec().name() + ", task " + t.state());
            response.onNext(RecoverTaskResponse.getDefaultInstance());
            response.onCompleted();
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (BangerException e) {
            response.onError(Errors.status(e).asRuntimeException());
        } catch (io.grpc.StatusRuntimeException e) {
            response.onError(e);
        }
    }

    // ---- wait, stop, destroy, inspect ---------------------------------------------------------------------------

    /**
     * Blocks until the task's end, from bangerd's database (vm.task_wait in slices of 30 s): what it answers
     * survives a restart of the plugin and of bangerd. While bangerd is away the wait goes on, retrying; it ends only
     * with the task, its VM's deletion, or Nomad's cancelling the call.
     */
    @Override
    public void waitTask(WaitTaskRequest request, StreamObserver<WaitTaskResponse> response) {
        String vm = TaskNames.vmName(request.getTaskId());
        Context ctx = Context.current();
        Duration backoff = Duration.ofMillis(500);
        while (!ctx.isCancelled()) {
            try {
                Params.TaskStatus t = bangerd.get().call(Rpcs.VM_TASK_WAIT,
                        new Params.VmTaskWait(vm, DriverState.TASK, WAIT_SLICE_MS));
                backoff = Duration.ofMillis(500);
                if ("running".equals(t.state())) {
                    continue;
                }
                response.onNext(waitResult(t));
                response.onCompleted();
                return;
            } catch (BangerException e) {
                if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.INVALID_ARGUMENT) {
                    response.onNext(WaitTaskResponse.newBuilder().setErr("task " + request.getTaskId()
                            + " has no VM or no task in it: " + e.getMessage()).build());
                    response.onCompleted();
                    return;
                }
                // bangerd restarting (CANCELLED, DAEMON_UNAVAILABLE): the exit is kept; ask again
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5)
                        : backoff.multipliedBy(2);
            }
        }
        response.onError(Status.CANCELLED.withDescription("the wait was cancelled").asRuntimeException());
    }

    /**
     * The end of a task as Nomad's WaitTaskResponse: {@link #exitResult} for an exit; a task whose end is not known
     * ({@code lost}) answers Nomad's err with bangerd's reason.
     */
    static WaitTaskResponse waitResult(Params.TaskStatus t) {
        if ("exited".equals(t.state()) && t.exitCode() != null) {
            return WaitTaskResponse.newBuilder().setResult(exitResult(t.exitCode(), t.signal())).build();
        }
        return WaitTaskResponse.newBuilder()
                .setResult(ExitResult.newBuilder().setExitCode(-1))
                .setErr("the task ended without its exit being known: " + Objects.requireNonNullElse(t.reason(), t.state()))
                .build();
    }

    /**
     * An exit as Nomad's own executors report one (exec, raw_exec: drivers/shared/executor): a process signal N ended has
     * signal N and exit_code 128+N, bash's encoding; any other has its code and signal 0. The signal is bangerd's
     * {@code signal} field (null: none, or a guest agent too old to say, when a 137 stays a plain code), read as every
     * exit is ({@link Exec.Exit#reported}: one outside 1-64, or that disagrees with the code, is none).
     */
    static ExitResult exitResult(int exitCode, Integer signal) {
        Exec.Exit exit = Exec.Exit.reported(exitCode, signal == null ? 0 : signal);
        ExitResult.Builder r = ExitResult.newBuilder().setExitCode(exit.status());
        return (exit.signalled() ? r.setSignal(exit.signal()) : r).build();
    }

    /** The signal (default SIGTERM), up to the timeout for the end, then SIGKILL. A task already ended is stopped. */
    @Override
    public void stopTask(StopTaskRequest request, StreamObserver<StopTaskResponse> response) {
        String vm = TaskNames.vmName(request.getTaskId());
        String signal = request.getSignal().isEmpty() ? DEFAULT_STOP_SIGNAL : request.getSignal();
        Duration timeout = Duration.ofSeconds(request.getTimeout().getSeconds(), request.getTimeout().getNanos());
        try {
            checkSignal(signal);
            Bangerd b = bangerd.get();
            if (signalled(b, vm, signal) && !ended(b, vm, timeout)) {
                PluginLog.info("task " + request.getTaskId() + " outlived " + signal + " for " + timeout.toSeconds()
                        + " s: killing it");
                if (signalled(b, vm, "KILL")) {
                    ended(b, vm, KILL_WAIT);
                }
            }
            response.onNext(StopTaskResponse.getDefaultInstance());
            response.onCompleted();
        } catch (BangerException e) {
            response.onError(Errors.status(e).asRuntimeException());
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    /** Signals the task; false when there is nothing to signal (the task ended, its VM stopped or is gone). */
    private static boolean signalled(Bangerd b, String vm, String signal) {
        try {
            b.call(Rpcs.VM_TASK_SIGNAL, new Params.VmTaskSignal(vm, DriverState.TASK, signal));
            return true;
        } catch (BangerException e) {
            if (e.code() == ErrorCode.FAILED_PRECONDITION || e.code() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /** Whether the task has ended within {@code max} (vm.task_wait, in slices bangerd accepts). */
    private static boolean ended(Bangerd b, String vm, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
            Params.TaskStatus t = b.call(Rpcs.VM_TASK_WAIT, new Params.VmTaskWait(vm, DriverState.TASK,
                    Math.min(left, WAIT_SLICE_MS)));
            if (!"running".equals(t.state())) {
                return true;
            }
            if (left == 0 || System.nanoTime() >= deadline) {
                return false;
            }
        }
    }

    /**
     * Deletes the task's VM (its lifetime is the task's). A running task is refused unless {@code force}, as Nomad
     * expects; a VM already gone is success.
     */
    @Override
    public void destroyTask(DestroyTaskRequest request, StreamObserver<DestroyTaskResponse> response) {
        String vm = TaskNames.vmName(request.getTaskId());
        Bangerd b = bangerd.get();
        try {
            if (!request.getForce()) {
                Optional<Params.TaskStatus> t = taskStatus(b, vm);
                if (t.isPresent() && "running".equals(t.get().state())) {
                    response.onError(Status.FAILED_PRECONDITION.withDescription("task " + request.getTaskId()
                            + " is still running in VM " + vm + ": stop it first, or destroy with force").asRuntimeException());
                    return;
                }
            }
            try {
                b.call(Rpcs.VM_DELETE, new Params.VmDelete(vm, true));
            } catch (BangerException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
            TaskOutput out = outputs.remove(request.getTaskId());
            if (out != null) {
                out.close();
            }
            response.onNext(DestroyTaskResponse.getDefaultInstance());
            response.onCompleted();
        } catch (BangerException e) {
            response.onError(Errors.status(e).asRuntimeException());
        }
    }

    private static Optional<Params.TaskStatus> taskStatus(Bangerd b, String vm) {
        try {
            return Optional.of(b.call(Rpcs.VM_TASK_STATUS, new Params.VmTaskRef(vm, DriverState.TASK)));
        } catch (BangerException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void inspectTask(InspectTaskRequest request, StreamObserver<InspectTaskResponse> response) {
        String taskId = request.getTaskId();
        String vmName = TaskNames.vmName(taskId);
        try {
            Bangerd b = bangerd.get();
            VmRecord vm = b.call(Rpcs.VM_GET, new Params.VmRef(vmName));
            Optional<Params.TaskStatus> t = taskStatus(b, vm.id());
            response.onNext(InspectTaskResponse.newBuilder()
                    .setTask(inspect(taskId, t.orElse(null)))
                    .setDriver(TaskDriverStatus.newBuilder()
                            .putAttributes("vm_id", vm.id())
                            .putAttributes("vm_name", vm.spec().name())
                            .putAttributes("vm_state", vm.runtime().state().wireName())
                            .putAttributes("guest_ip", Objects.requireNonNullElse(vm.runtime().guestIp(), "")))
                    .build());
            response.onCompleted();
        } catch (BangerException e) {
            response.onError(Errors.status(e).asRuntimeException());
        }
    }

    /** Nomad's TaskStatus of a bangerd task (null: not started). */
    static TaskStatus inspect(String taskId, Params.TaskStatus t) {
        TaskStatus.Builder s = TaskStatus.newBuilder().setId(taskId).setName(TaskNames.nameFromId(taskId));
        if (t == null) {
            return s.setState(TaskState.UNKNOWN).build();
        }
        if (t.startedAt() != null) {
            s.setStartedAt(timestamp(t.startedAt()));
        }
        switch (t.state()) {
            case "running" -> s.setState(TaskState.RUNNING);
            case "exited" -> {
                s.setState(TaskState.EXITED).setResult(waitResult(t).getResult());
                if (t.finishedAt() != null) {
                    s.setCompletedAt(timestamp(t.finishedAt()));
                }
            }
            default -> s.setState(TaskState.UNKNOWN);
        }
        return s.build();
    }

    private static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    // ---- stats, events, signal, exec ----------------------------------------------------------------------------

    /**
     * One message per interval (at least 200 ms) until Nomad cancels the call or the VM is gone: bangerd's vm.usage
     * samples the VMM over the interval (at most its 5 s; a longer interval waits out the rest). While bangerd is away,
     * or the VM does not run, the messages measure nothing.
     */
    @Override
    public void taskStats(TaskStatsRequest request, StreamObserver<TaskStatsResponse> response) {
        ServerCallStreamObserver<TaskStatsResponse> call = (ServerCallStreamObserver<TaskStatsResponse>) response;
        String taskId = request.getTaskId();
        String vmName = TaskNames.vmName(taskId);
        Duration asked = Duration.ofSeconds(request.getCollectionInterval().getSeconds(),
                request.getCollectionInterval().getNanos());
        Duration interval = asked.compareTo(MIN_STATS_INTERVAL) < 0 ? Duration.ofSeconds(1)
                : asked.compareTo(MAX_STATS_INTERVAL) > 0 ? MAX_STATS_INTERVAL : asked;
        Thread.ofPlatform().daemon().name("task-stats-" + vmName).start(() -> {
            while (!call.isCancelled()) {
                long t0 = System.nanoTime();
                Params.VmUsageSample usage = null;
                try {
                    usage = bangerd.get().call(Rpcs.VM_USAGE, new Params.VmUsage(vmName, VmUsage.sampleMs(interval)));
                } catch (BangerException e) {
                    if (e.code() == ErrorCode.NOT_FOUND) {
                        synchronized (call) {
                            if (!call.isCancelled()) {
                                call.onError(Errors.status(e).asRuntimeException());
                            }
                        }
                        return;
                    }
                    // bangerd away or restarting: this interval measures nothing
                }
                Duration left = interval.minusNanos(System.nanoTime() - t0);
                try {
                    if (left.isPositive()) {
                        Thread.sleep(left);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                synchronized (call) {
                    if (call.isCancelled()) {
                        return;
                    }
                    call.onNext(TaskStatsResponse.newBuilder().setStats(VmUsage.stats(taskId, usage, Instant.now(),
                            cpuMhzPerCore)).build());
                }
            }
        });
    }

    /** The driver emits no events of its own: the stream stays open, silent, until Nomad closes it. */
    @Override
    public void taskEvents(TaskEventsRequest request, StreamObserver<DriverTaskEvent> response) {
        // nothing to send; Nomad cancels the call when it is done with it
    }

    @Override
    public void signalTask(SignalTaskRequest request, StreamObserver<SignalTaskResponse> response) {
        try {
            checkSignal(request.getSignal());
            bangerd.get().call(Rpcs.VM_TASK_SIGNAL, new Params.VmTaskSignal(TaskNames.vmName(request.getTaskId()),
                    DriverState.TASK, request.getSignal()));
            response.onNext(SignalTaskResponse.getDefaultInstance());
            response.onCompleted();
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (BangerException e) {
            response.onError(Errors.status(e).asRuntimeException());
        }
    }

    /** A signal name as Nomad passes it (SIGHUP, HUP, a number): its shape only; bangerd knows which exist. */
    static void checkSignal(String signal) {
        if (signal == null || !SIGNAL.matcher(signal).matches()) {
            throw new IllegalArgumentException("not a signal: '" + dev.banger.core.Text.printable(String.valueOf(signal), 40)
                    + "' (give a name such as SIGTERM, or a number)");
        }
    }

    @Override
    public void execTask(ExecTaskRequest request, StreamObserver<ExecTaskResponse> response) {
        try {
            Duration timeout = ExecCollect.timeout(Duration.ofSeconds(request.getTimeout().getSeconds(),
                    request.getTimeout().getNanos()));
            ExecCollect.Result r = ExecCollect.run(bangerd.get(), TaskNames.vmName(request.getTaskId()),
                    request.getCommandList(), timeout);
            response.onNext(ExecTaskResponse.newBuilder()
                    .setStdout(ByteString.copyFrom(r.stdout()))
                    .setStderr(ByteString.copyFrom(r.stderr()))
                    .setResult(ExitResult.newBuilder().setExitCode(r.exitCode()))
                    .build());
            response.onCompleted();
        } catch (BangerException e) {
            response.onError(Errors.status(e).asRuntimeException());
        }
    }

    @Override
    public StreamObserver<ExecTaskStreamingRequest> execTaskStreaming(StreamObserver<ExecTaskStreamingResponse> response) {
        return new ExecStream(bangerd.get(), TaskNames::vmName, response);
    }

    /** Stops following every task's output (the plugin is stopping); the tasks run on in their VMs. */
    void close() {
        outputs.values().forEach(TaskOutput::close);
        outputs.clear();
    }
}
