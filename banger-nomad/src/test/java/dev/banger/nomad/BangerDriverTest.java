package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.nomad.cty.CtyMsgpack;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.AllocatedCpuResources;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DestroyTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DestroyTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingIOOperation;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExitResult;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse.HealthState;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InspectTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InspectTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.RecoverTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.RecoverTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.SignalTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.SignalTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StopTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StopTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskState;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Driver service against a bangerd in memory ({@link FakeBangerd}): what it asks of bangerd, and what Nomad hears. */
class BangerDriverTest {
    static final String ID = TaskPlanTest.ID;

    final FakeBangerd fake = new FakeBangerd();
    final BangerDriver driver = new BangerDriver(() -> fake, home -> new Fingerprints.Host("qemu", false),
            java.time.Duration.ofSeconds(30), 2400);

    @TempDir
    Path dir;

    DriverOuterClass.TaskConfig task(Map<String, Object> config) throws Exception {
        Path out = Files.createFile(dir.resolve("stdout"));
        Path err = Files.createFile(dir.resolve("stderr"));
        Map<String, Object> attrs = new LinkedHashMap<>();
        for (var a : TaskConfig.SPEC.attrs()) {
            attrs.put(a.name(), null);
        }
        attrs.putAll(config);
        return DriverOuterClass.TaskConfig.newBuilder(TaskPlanTest.task(300, "", Map.of("NOMAD_TASK_NAME", "hello")))
                .setMsgpackDriverConfig(ByteString.copyFrom(CtyMsgpack.encode(attrs, TaskConfig.SPEC.type())))
                .setStdoutPath(out.toString())
                .setStderrPath(err.toString())
                .build();
    }

    static Map<String, Object> command(String... argv) {
        return Map.of("command", List.of(argv));
    }

    @Test
    void startRunsTheCommandInANewVmAndItsOutputReachesTheFifos() throws Exception {
        StartTaskResponse r = driver.start(task(command("sh", "-c", "echo hello; exit 3")));
        assertThat(r.getResult()).as(r.getDriverErrorMsg()).isEqualTo(StartTaskResponse.Result.SUCCESS);
        assertThat(fake.calls).containsSubsequence("vm.create", "vm.start", "vm.task_start");
        assertThat(fake.vmNames()).containsExactly(TaskNames.vmName(ID));
        DriverState state = DriverState.decode(r.getHandle().getDriverState().toByteArray());
        assertThat(state.vmId()).isEqualTo(fake.vm(TaskNames.vmName(ID)).id());
        assertThat(r.getHandle().getState()).isEqualTo(TaskState.RUNNING);

        for (int i = 0; i < 100 && Files.size(dir.resolve("stderr")) == 0; i++) {
            Thread.sleep(20);
        }
        assertThat(Files.readString(dir.resolve("stdout"))).isEqualTo("hello\n");
        assertThat(Files.readString(dir.resolve("stderr"))).isEqualTo("oops\n");

        fake.end(state.vmId(), 3);
        Recorder<WaitTaskResponse> wait = new Recorder<>();
        driver.waitTask(WaitTaskRequest.newBuilder().setTaskId(ID).build(), wait);
        assertThat(wait.only().getResult().getExitCode()).isEqualTo(3);
        assertThat(wait.only().getErr()).isEmpty();

        Recorder<InspectTaskResponse> inspect = new Recorder<>();
        driver.inspectTask(InspectTaskRequest.newBuilder().setTaskId(ID).build(), inspect);
        assertThat(inspect.only().getTask().getState()).isEqualTo(TaskState.EXITED);
        assertThat(inspect.only().getDriver().getAttributesMap()).containsEntry("vm_id", state.vmId());
    }

    @Test
    void aTaskASignalEndedWaitsAndInspectsAsNomadsExecutorsReportIt() throws Exception {
        StartTaskResponse r = driver.start(task(command("sleep", "1000")));
        DriverState state = DriverState.decode(r.getHandle().getDriverState().toByteArray());
        fake.end(state.vmId(), 137, 9);
        Recorder<WaitTaskResponse> wait = new Recorder<>();
        driver.waitTask(WaitTaskRequest.newBuilder().setTaskId(ID).build(), wait);
        assertThat(wait.only().getResult().getSignal()).isEqualTo(9);
        assertThat(wait.only().getResult().getExitCode()).as("128 + N, as exec and raw_exec report it").isEqualTo(137);
        assertThat(wait.only().getErr()).isEmpty();
        Recorder<InspectTaskResponse> inspect = new Recorder<>();
        driver.inspectTask(InspectTaskRequest.newBuilder().setTaskId(ID).build(), inspect);
        assertThat(inspect.only().getTask().getResult().getSignal()).isEqualTo(9);
        assertThat(inspect.only().getTask().getResult().getExitCode()).isEqualTo(137);
    }

    @Test
    void anExitIsMappedFromTheSignalBangerdRecorded() {
        assertThat(BangerDriver.exitResult(137, 9)).isEqualTo(ExitResult.newBuilder().setExitCode(137).setSignal(9).build());
        assertThat(BangerDriver.exitResult(143, 15).getSignal()).isEqualTo(15);
        assertThat(BangerDriver.exitResult(137, null)).as("exit 137 by itself, or an agent too old to say")
                .isEqualTo(ExitResult.newBuilder().setExitCode(137).build());
        assertThat(BangerDriver.exitResult(3, null).getSignal()).isZero();
        assertThat(BangerDriver.exitResult(0, 99)).as("not a signal").isEqualTo(ExitResult.newBuilder().setExitCode(0).build());
        Params.TaskStatus lost = new Params.TaskStatus("vm", "id", "main", "lost", null, null, "the VM stopped", "0badc0de", 1L,
                List.of("sleep"), Instant.EPOCH, Instant.EPOCH);
        assertThat(BangerDriver.waitResult(lost).getResult().getExitCode()).isEqualTo(-1);
        assertThat(BangerDriver.waitResult(lost).getErr()).contains("the VM stopped");
    }

    @Test
    void aFailedStartLeavesNoVm() throws Exception {
        fake.failTaskStart = new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the agent did not answer");
        StartTaskResponse r = driver.start(task(command("true")));
        assertThat(r.getResult()).isEqualTo(StartTaskResponse.Result.RETRY);
        assertThat(r.getDriverErrorMsg()).contains("the agent did not answer", "(deleted)");
        assertThat(fake.vms).isEmpty();

        fake.failTaskStart = BangerException.notFound("no such program: nope");
        assertThat(driver.start(task2(command("nope"))).getResult()).isEqualTo(StartTaskResponse.Result.FATAL);
        assertThat(fake.vms).isEmpty();
    }

    private DriverOuterClass.TaskConfig task2(Map<String, Object> config) throws Exception {
        Files.deleteIfExists(dir.resolve("stdout"));
        Files.deleteIfExists(dir.resolve("stderr"));
        return task(config);
    }

    @Test
    void aMalformedConfigIsFatalAndNamesTheField() throws Exception {
        Map<String, Object> c = new LinkedHashMap<>(command("true"));
        c.put("memory", new BigDecimal("0.5"));
        StartTaskResponse r = driver.start(task(c));
        assertThat(r.getResult()).isEqualTo(StartTaskResponse.Result.FATAL);
        assertThat(r.getDriverErrorMsg()).startsWith("config.memory must be a whole number of MiB");
        assertThat(driver.start(task2(Map.of())).getDriverErrorMsg()).startsWith("config.command is required");
        assertThat(fake.calls).isEmpty();
    }

    @Test
    void theTasksUserAndMhzReachBangerd() throws Exception {
        DriverOuterClass.TaskConfig t = task(command("id")).toBuilder().setUser("app")
                .setResources(TaskPlanTest.task(300, "", Map.of()).getResources().toBuilder()
                        .setAllocatedResources(TaskPlanTest.task(300, "", Map.of()).getResources().getAllocatedResources()
                                .toBuilder().setCpu(AllocatedCpuResources.newBuilder().setCpuShares(5000))))
                .build();
        StartTaskResponse r = driver.start(t);
        assertThat(r.getResult()).as(r.getDriverErrorMsg()).isEqualTo(StartTaskResponse.Result.SUCCESS);
        assertThat(fake.vm(TaskNames.vmName(ID)).spec().vcpus()).as("5000 MHz over 2400 MHz cores").isEqualTo(3);
    }

    @Test
    void devicesVolumeMountsAndABadUserAreFatalAndCreateNothing() throws Exception {
        StartTaskResponse devices = driver.start(task(command("true")).toBuilder()
                .addDevices(DriverOuterClass.Device.newBuilder().setHostPath("/dev/nvidia0").setTaskPath("/dev/nvidia0"))
                .build());
        assertThat(devices.getResult()).isEqualTo(StartTaskResponse.Result.FATAL);
        assertThat(devices.getDriverErrorMsg()).contains("Nomad devices (/dev/nvidia0)", "banger maps no Nomad device");
        StartTaskResponse mounts = driver.start(task2(command("true")).toBuilder()
                .addMounts(DriverOuterClass.Mount.newBuilder().setHostPath("/srv/vol").setTaskPath("/data"))
                .build());
        assertThat(mounts.getResult()).isEqualTo(StartTaskResponse.Result.FATAL);
        assertThat(mounts.getDriverErrorMsg()).contains("Nomad volume mounts (/data)", "config.mount");
        StartTaskResponse user = driver.start(task2(command("true")).toBuilder().setUser("root; rm -rf /").build());
        assertThat(user.getResult()).isEqualTo(StartTaskResponse.Result.FATAL);
        assertThat(user.getDriverErrorMsg()).startsWith("the task's user 'root; rm -rf /' is not a user name or uid");
        assertThat(fake.calls).isEmpty();
    }

    @Test
    void statsComeFromBangerdsVmUsageAndEndWithTheVm() throws Exception {
        driver.start(task(command("sleep", "1000")));
        Recorder<TaskStatsResponse> stats = new Recorder<>();
        driver.taskStats(TaskStatsRequest.newBuilder().setTaskId(ID)
                .setCollectionInterval(Duration.newBuilder().setNanos(300_000_000)).build(), stats);
        for (int i = 0; i < 200 && stats.values.size() < 2; i++) {
            Thread.sleep(20);
        }
        DriverOuterClass.TaskResourceUsage u = stats.values.getFirst().getStats().getAggResourceUsage();
        assertThat(u.getCpu().getPercent()).isEqualTo(50.0);
        assertThat(u.getCpu().getTotalTicks()).as("0.5 cores of 2400 MHz").isEqualTo(1200.0);
        assertThat(u.getMemory().getRss()).isEqualTo(123L << 20);
        assertThat(fake.calls).contains("usage 300");

        fake.vms.clear();
        assertThat(stats.done.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(stats.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void aStatsSampleIsTheIntervalWithinVmUsagesBounds() {
        assertThat(VmUsage.sampleMs(java.time.Duration.ofMillis(200))).isEqualTo(200);
        assertThat(VmUsage.sampleMs(java.time.Duration.ofMinutes(1))).isEqualTo(5000);
        assertThat(VmUsage.sampleMs(java.time.Duration.ofMillis(10))).isEqualTo(100);
        DriverOuterClass.TaskResourceUsage none = VmUsage.stats(ID, new dev.banger.api.Params.VmUsageSample("v", "id",
                "stopped", 2, null, null, null, 250, java.time.Instant.now()), java.time.Instant.now(), 2400).getAggResourceUsage();
        assertThat(none.getCpu().getMeasuredFieldsList()).isEmpty();
        assertThat(none.getMemory().getMeasuredFieldsList()).isEmpty();
    }

    @Test
    void stopSignalsThenKillsAndDestroyDeletesTheVm() throws Exception {
        driver.start(task(command("sleep", "1000")));
        fake.exitOnTerm = null; // the task ignores SIGTERM
        Recorder<StopTaskResponse> stop = new Recorder<>();
        driver.stopTask(StopTaskRequest.newBuilder().setTaskId(ID).setTimeout(Duration.newBuilder().setNanos(1_000_000))
                .build(), stop);
        stop.only();
        assertThat(fake.calls).containsSubsequence("signal SIGTERM", "signal KILL");

        Recorder<DestroyTaskResponse> destroy = new Recorder<>();
        driver.destroyTask(DestroyTaskRequest.newBuilder().setTaskId(ID).build(), destroy);
        destroy.only();
        assertThat(fake.vms).isEmpty();
        Recorder<DestroyTaskResponse> again = new Recorder<>();
        driver.destroyTask(DestroyTaskRequest.newBuilder().setTaskId(ID).build(), again);
        again.only(); // a VM already gone is destroyed
    }

    @Test
    void destroyRefusesARunningTaskUnlessForced() throws Exception {
        driver.start(task(command("sleep", "1000")));
        Recorder<DestroyTaskResponse> destroy = new Recorder<>();
        driver.destroyTask(DestroyTaskRequest.newBuilder().setTaskId(ID).build(), destroy);
        assertThat(destroy.status().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(fake.vms).hasSize(1);
        Recorder<DestroyTaskResponse> forced = new Recorder<>();
        driver.destroyTask(DestroyTaskRequest.newBuilder().setTaskId(ID).setForce(true).build(), forced);
        forced.only();
        assertThat(fake.vms).isEmpty();
    }

    @Test
    void recoverFindsTheSameVmOrSaysItIsGone() throws Exception {
        StartTaskResponse r = driver.start(task(command("sleep", "1000")));
        BangerDriver restarted = new BangerDriver(() -> fake, home -> new Fingerprints.Host("qemu", false),
                java.time.Duration.ofSeconds(30), 2400);
        Recorder<RecoverTaskResponse> ok = new Recorder<>();
        restarted.recoverTask(RecoverTaskRequest.newBuilder().setTaskId(ID).setHandle(r.getHandle()).build(), ok);
        ok.only();

        fake.vms.clear();
        Recorder<RecoverTaskResponse> gone = new Recorder<>();
        restarted.recoverTask(RecoverTaskRequest.newBuilder().setTaskId(ID).setHandle(r.getHandle()).build(), gone);
        assertThat(gone.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(gone.status().getDescription()).contains("is gone");

        Recorder<RecoverTaskResponse> foreign = new Recorder<>();
        restarted.recoverTask(RecoverTaskRequest.newBuilder().setTaskId(ID)
                .setHandle(r.getHandle().toBuilder().setDriverState(ByteString.copyFromUtf8("{}"))).build(), foreign);
        assertThat(foreign.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void execCollectsOutputAndExitAndSignalPassesTheName() throws Exception {
        driver.start(task(command("sleep", "1000")));
        Recorder<ExecTaskResponse> exec = new Recorder<>();
        driver.execTask(ExecTaskRequest.newBuilder().setTaskId(ID).addCommand("echo").addCommand("hi")
                .setTimeout(Duration.newBuilder().setSeconds(5)).build(), exec);
        assertThat(exec.only().getStdout().toStringUtf8()).isEqualTo("echo hi");
        assertThat(exec.only().getStderr().toStringUtf8()).isEqualTo("e");
        assertThat(exec.only().getResult().getExitCode()).isEqualTo(5);

        Recorder<SignalTaskResponse> sig = new Recorder<>();
        driver.signalTask(SignalTaskRequest.newBuilder().setTaskId(ID).setSignal("SIGHUP").build(), sig);
        sig.only();
        assertThat(fake.calls).contains("signal SIGHUP");
        Recorder<SignalTaskResponse> bad = new Recorder<>();
        driver.signalTask(SignalTaskRequest.newBuilder().setTaskId(ID).setSignal("HUP; rm -rf /").build(), bad);
        assertThat(bad.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void execStreamingCarriesOutputAndExit() throws Exception {
        driver.start(task(command("sleep", "1000")));
        Recorder<ExecTaskStreamingResponse> responses = new Recorder<>();
        StreamObserver<ExecTaskStreamingRequest> requests = driver.execTaskStreaming(responses);
        requests.onNext(ExecTaskStreamingRequest.newBuilder().setSetup(ExecTaskStreamingRequest.Setup.newBuilder()
                .setTaskId(ID).addCommand("cat").setTty(false)).build());
        requests.onNext(ExecTaskStreamingRequest.newBuilder().setStdin(ExecTaskStreamingIOOperation.newBuilder()
                .setData(ByteString.copyFromUtf8("abc")).setClose(true)).build());
        assertThat(responses.done.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(responses.error).isNull();
        assertThat(responses.values.stream().filter(ExecTaskStreamingResponse::hasStdout)
                .map(r -> r.getStdout().getData().toStringUtf8()).toList()).containsExactly("cat");
        assertThat(responses.values.getLast().getExited()).isTrue();
        assertThat(responses.values.getLast().getResult().getExitCode()).isEqualTo(5);

        Recorder<ExecTaskStreamingResponse> noSetup = new Recorder<>();
        driver.execTaskStreaming(noSetup).onNext(ExecTaskStreamingRequest.newBuilder()
                .setStdin(ExecTaskStreamingIOOperation.newBuilder().setData(ByteString.copyFromUtf8("x"))).build());
        assertThat(Status.fromThrowable(noSetup.error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void theSweepDeletesOnlyOldTasklessVmsOfTheDriver() throws Exception {
        java.time.Instant old = java.time.Instant.now().minus(java.time.Duration.ofHours(1));
        fake.createdAt(new dev.banger.api.Params.VmCreate("nomad-web-0123456789abcdef", null, null, null, null, null, null), old);
        fake.createdAt(new dev.banger.api.Params.VmCreate("mine", null, null, null, null, null, null), old);
        fake.createdAt(new dev.banger.api.Params.VmCreate("nomad-server", null, null, null, null, null, null), old);
        fake.createdAt(new dev.banger.api.Params.VmCreate("nomad-new-0123456789abcdef", null, null, null, null, null, null),
                java.time.Instant.now());
        fake.createdAt(new dev.banger.api.Params.VmCreate("nomad-starting-0123456789abcdef", null, null, null, null, null, null), old);
        driver.start(task(command("sleep", "1000"))); // a VM with a task: Nomad's to destroy
        fake.vms.replaceAll((id, v) -> v.spec().name().equals(TaskNames.vmName(ID))
                ? new dev.banger.api.VmRecord(v.id(), v.spec(), v.runtime(), old, old, v.mounts(), v.publishes()) : v);

        OrphanSweep.sweep(fake, java.util.Set.of("nomad-starting-0123456789abcdef"));
        assertThat(fake.vmNames()).containsExactlyInAnyOrder("mine", "nomad-server", "nomad-new-0123456789abcdef",
                "nomad-starting-0123456789abcdef", TaskNames.vmName(ID));
    }

    @Test
    void fingerprintSaysWhetherBangerdAnswers() {
        assertThat(driver.fingerprintNow().getHealth()).isEqualTo(HealthState.HEALTHY);
        fake.down = true;
        assertThat(driver.fingerprintNow().getHealth()).isEqualTo(HealthState.UNDETECTED);
        assertThat(driver.fingerprintNow().getHealthDescription()).contains("bangerd does not answer");
    }

    @Test
    void waitAfterTheVmIsGoneSaysSo() {
        Recorder<WaitTaskResponse> wait = new Recorder<>();
        driver.waitTask(WaitTaskRequest.newBuilder().setTaskId(ID).build(), wait);
        assertThat(wait.only().getErr()).contains("has no VM");
    }

    /**
     * A call's answers: a unary call's come on the test's thread, a stream's on another. A server stream as gRPC hands
     * one to a streaming RPC, cancelled once it ended.
     */
    static final class Recorder<T> extends io.grpc.stub.ServerCallStreamObserver<T> {
        final List<T> values = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        volatile Throwable error;
        volatile boolean completed;

        @Override
        public void onNext(T value) {
            values.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done.countDown();
        }

        @Override
        public void onCompleted() {
            completed = true;
            done.countDown();
        }

        T only() {
            assertThat(error).as("error").isNull();
            assertThat(completed).isTrue();
            assertThat(values).hasSize(1);
            return values.getFirst();
        }

        Status status() {
            assertThat(error).as("an error").isNotNull();
            return Status.fromThrowable(error);
        }

        @Override
        public boolean isCancelled() {
            return done.getCount() == 0;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }
    }
}
