package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.banger.it.NomadNetns;
import dev.banger.nomad.cty.CtyMsgpack;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.base.proto.Base.SetConfigRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverGrpc;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DestroyTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingIOOperation;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.ExecTaskStreamingResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse.HealthState;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InspectTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.InspectTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.RecoverTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.SignalTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StopTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskHandle;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver on a real VM, through the strict harness (Nomad's client side) against bin/banger-nomad, its bangerd in a
 * test-made network namespace (the plugin reaches it by BANGER_HOME, as the CLI would). One VM: StartTask (the task's
 * user), the output in the stdout FIFO, ExecTask, one TaskStats message (bangerd's vm.usage), kill -9 of the plugin and RecoverTask in a
 * new one (its output copy resumed where the dead one had delivered), kill -9 of bangerd and a new one, ExecTaskStreaming, SignalTask making the task
 * print again (the output reattached after bangerd's restart, nothing written twice), kill -9 of the plugin and bangerd
 * together and RecoverTask of the same handle in a third plugin on a restarted bangerd (the same VM, by id), SignalTask
 * ending the task with exit 3, WaitTask → 3 from that plugin, StopTask, DestroyTask (the VM is gone, no driver VM left),
 * and RecoverTask of a destroyed task refused.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class NomadDriverIT {
    private static final String TASK_ID = "8c3f1a52-6d1e-4b7a-9f00-1234567890ab/hello/0a1b2c3d";

    @TempDir
    Path tmp;

    @Test
    void aTaskLivesAndEndsInItsVmAndOutlivesThePlugin() throws Exception {
        try (NomadNetns ns = NomadNetns.start()) {
            Map<String, String> env = NomadHarness.hostEnvironment(tmp);
            env.put("BANGER_HOME", ns.home().toString());
            Path stdout = fifo("stdout");
            Path stderr = fifo("stderr");
            TaskHandle handle;
            String vm = TaskNames.vmName(TASK_ID);

            try (NomadHarness nomad = NomadHarness.launch(env, null)) {
                nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0").build());
                Iterator<FingerprintResponse> fp = nomad.driver().fingerprint(FingerprintRequest.getDefaultInstance());
                FingerprintResponse first = fp.next();
                assertThat(first.getHealth()).as(first.getHealthDescription()).isEqualTo(HealthState.HEALTHY);
                assertThat(first.getAttributesMap().get("driver.banger").getBoolVal()).isTrue();
                assertThat(first.getAttributesMap()).containsKeys("driver.banger.vmm", "driver.banger.accel",
                        "driver.banger.version");

                CompletableFuture<String> out = reader(stdout);
                CompletableFuture<String> err = reader(stderr);
                long t0 = System.nanoTime();
                StartTaskResponse started = nomad.driver().withDeadlineAfter(5, TimeUnit.MINUTES)
                        .startTask(StartTaskRequest.newBuilder().setTask(task(stdout, stderr)).build());
                Duration startTask = Duration.ofNanos(System.nanoTime() - t0);
                assertThat(started.getResult()).as(started.getDriverErrorMsg()).isEqualTo(StartTaskResponse.Result.SUCCESS);
                handle = started.getHandle();
                assertThat(ns.vmExists(vm)).isTrue();
                assertThat(awaitText(out, "hello nobody\n")).as("the command runs as the task's user").isTrue();

                ExecTaskResponse exec = nomad.driver().execTask(ExecTaskRequest.newBuilder().setTaskId(TASK_ID)
                        .addAllCommand(List.of("sh", "-c", "echo from-exec; echo to-err >&2; exit 4"))
                        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build());
                assertThat(exec.getStdout().toStringUtf8()).isEqualTo("from-exec\n");
                assertThat(exec.getStderr().toStringUtf8()).isEqualTo("to-err\n");
                assertThat(exec.getResult().getExitCode()).isEqualTo(4);

                Iterator<TaskStatsResponse> stats = nomad.driver().withDeadlineAfter(1, TimeUnit.MINUTES)
                        .taskStats(TaskStatsRequest.newBuilder().setTaskId(TASK_ID)
                                .setCollectionInterval(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build());
                DriverOuterClass.TaskStats one = stats.next().getStats();
                assertThat(one.getId()).isEqualTo(TASK_ID);
                assertThat(one.getAggResourceUsage().getMemory().getRss()).as("the VMM's RSS").isPositive();

                // Figures (issue 18): StartTask against `vm run` on the same daemon, and the plugin's RSS after its calls
                Duration vmRun = ns.timeVmRun("cmp");
                System.out.printf("figure: StartTask %d ms, vm run -- true %d ms (same daemon, cold boots), plugin RSS %d KiB%n",
                        startTask.toMillis(), vmRun.toMillis(), rssKib(nomad.pid()));

                // kill -9 of the plugin: the task runs on in its VM
                ProcessHandle.of(nomad.pid()).orElseThrow().destroyForcibly();
                nomad.awaitExit(Duration.ofSeconds(30));
                out.get(30, TimeUnit.SECONDS); // the old writer is gone: its reader saw the end
            }

            try (NomadHarness nomad = NomadHarness.launch(env, null)) {
                nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0").build());
                CompletableFuture<String> out = reader(stdout);
                reader(stderr);
                nomad.driver().recoverTask(RecoverTaskRequest.newBuilder().setTaskId(TASK_ID).setHandle(handle).build());
                // The copy resumes where the killed plugin reported delivering: "hello nobody" is not written again.

                // kill -9 of bangerd under the running task: a new one adopts the VM; the plugin follows on
                ns.killAndRestartDaemon();
                StreamedExec streamed = execStreaming(nomad, List.of("sh", "-c", "cat; exit 2"), "abc");
                assertThat(streamed.stdout()).isEqualTo("abc");
                assertThat(streamed.exitCode()).isEqualTo(2);
                nomad.driver().signalTask(SignalTaskRequest.newBuilder().setTaskId(TASK_ID).setSignal("SIGUSR1").build());
                assertThat(awaitText(out, "again\n")).as("the output reattached after bangerd's restart").isTrue();

                // kill -9 of the plugin and of bangerd together, under the running task; bangerd keeps the plugin's
                // delivery reports at most a second late, so the test lets a second pass first
                Thread.sleep(2_000);
                ProcessHandle.of(nomad.pid()).orElseThrow().destroyForcibly();
                ns.killDaemon();
                nomad.awaitExit(Duration.ofSeconds(30));
                assertThat(out.get(30, TimeUnit.SECONDS)).as("the recovered copy resumed after what was delivered, and the "
                        + "reattach after bangerd's restart wrote nothing twice").isEqualTo("again\n");
            }

            // bangerd restarted as its service would restart it, then Nomad's client starts a new plugin and recovers
            ns.restartDaemon();
            try (NomadHarness nomad = NomadHarness.launch(env, null)) {
                nomad.base().setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0").build());
                CompletableFuture<String> out = reader(stdout);
                reader(stderr);
                nomad.driver().recoverTask(RecoverTaskRequest.newBuilder().setTaskId(TASK_ID).setHandle(handle).build());
                String vmId = DriverState.decode(handle.getDriverState().toByteArray()).vmId();
                InspectTaskResponse inspected = nomad.driver().inspectTask(InspectTaskRequest.newBuilder()
                        .setTaskId(TASK_ID).build());
                assertThat(inspected.getDriver().getAttributesMap()).as("the same VM").containsEntry("vm_id", vmId)
                        .containsEntry("vm_state", "running");
                assertThat(inspected.getTask().getState()).isEqualTo(DriverOuterClass.TaskState.RUNNING);
                assertThat(ns.vmList().lines().filter(l -> l.contains("nomad-")).count()).as("one driver VM: " + ns.vmList())
                        .isEqualTo(1);

                nomad.driver().signalTask(SignalTaskRequest.newBuilder().setTaskId(TASK_ID).setSignal("SIGHUP").build());
                WaitTaskResponse waited = nomad.driver().withDeadlineAfter(3, TimeUnit.MINUTES)
                        .waitTask(WaitTaskRequest.newBuilder().setTaskId(TASK_ID).build());
                assertThat(waited.getErr()).isEmpty();
                assertThat(waited.getResult().getExitCode()).isEqualTo(3);
                // the third plugin's copy resumed after what was delivered, followed the task to its end, wrote nothing twice
                assertThat(out.get(60, TimeUnit.SECONDS)).isEqualTo("bye\n");

                nomad.driver().stopTask(StopTaskRequest.newBuilder().setTaskId(TASK_ID).setSignal("SIGTERM")
                        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5)).build());
                nomad.driver().withDeadlineAfter(2, TimeUnit.MINUTES)
                        .destroyTask(DestroyTaskRequest.newBuilder().setTaskId(TASK_ID).build());
                assertThat(ns.vmExists(vm)).as("the task's VM is deleted").isFalse();

                assertThatThrownBy(() -> nomad.driver().recoverTask(RecoverTaskRequest.newBuilder().setTaskId(TASK_ID)
                        .setHandle(handle).build()))
                        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
            }
            assertThat(ns.vmList()).as("no VM of the driver left").doesNotContain(vm).doesNotContain("nomad-");
        }
    }

    record StreamedExec(String stdout, int exitCode) {
    }

    /** ExecTaskStreaming as `nomad alloc exec` drives it: the setup, stdin and its close, then output until exit. */
    private static StreamedExec execStreaming(NomadHarness nomad, List<String> argv, String stdin) throws Exception {
        StringBuffer out = new StringBuffer();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        StreamObserver<ExecTaskStreamingRequest> requests = DriverGrpc.newStub(nomad.channel())
                .withDeadlineAfter(2, TimeUnit.MINUTES)
                .execTaskStreaming(new StreamObserver<>() {
                    @Override
                    public void onNext(ExecTaskStreamingResponse r) {
                        if (r.hasStdout()) {
                            out.append(r.getStdout().getData().toStringUtf8());
                        }
                        if (r.getExited()) {
                            exit.complete(r.getResult().getExitCode());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        exit.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        exit.complete(-1);
                    }
                });
        requests.onNext(ExecTaskStreamingRequest.newBuilder().setSetup(ExecTaskStreamingRequest.Setup.newBuilder()
                .setTaskId(TASK_ID).addAllCommand(argv)).build());
        requests.onNext(ExecTaskStreamingRequest.newBuilder().setStdin(ExecTaskStreamingIOOperation.newBuilder()
                .setData(ByteString.copyFromUtf8(stdin)).setClose(true)).build());
        int code = exit.get(2, TimeUnit.MINUTES);
        requests.onCompleted();
        return new StreamedExec(out.toString(), code);
    }

    private static long rssKib(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
    }

    /**
     * The task, as user nobody: "hello nobody", then it runs until SIGHUP, which makes it print "bye" and end with exit 3;
     * SIGUSR1 makes it print "again".
     */
    private static DriverOuterClass.TaskConfig task(Path stdout, Path stderr) {
        Map<String, Object> config = new LinkedHashMap<>();
        for (var a : TaskConfig.SPEC.attrs()) {
            config.put(a.name(), null);
        }
        config.put("command", List.of("sh", "-c", "echo hello $(id -un); trap 'echo again' USR1; trap 'echo bye; exit 3' HUP; "
                + "while :; do sleep 1; done"));
        return DriverOuterClass.TaskConfig.newBuilder()
                .setId(TASK_ID).setName("hello").setAllocId("8c3f1a52-6d1e-4b7a-9f00-1234567890ab")
                .setMsgpackDriverConfig(ByteString.copyFrom(CtyMsgpack.encode(config, TaskConfig.SPEC.type())))
                .putEnv("NOMAD_TASK_NAME", "hello")
                .setUser("nobody")
                .setStdoutPath(stdout.toString())
                .setStderrPath(stderr.toString())
                .build();
    }

    private Path fifo(String name) throws IOException, InterruptedException {
        Path p = tmp.resolve(name);
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertThat(mk.waitFor()).isZero();
        return p;
    }

    /** Nomad's log collector: reads the FIFO until its writer closes it (at most 1 MiB kept). */
    private static CompletableFuture<String> reader(Path fifo) {
        StringBuffer seen = new StringBuffer();
        CompletableFuture<String> done = new CompletableFuture<>() {
            @Override
            public String toString() {
                return seen.toString();
            }
        };
        Thread.ofPlatform().daemon().start(() -> {
            try (InputStream in = new FileInputStream(fifo.toFile())) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (seen.length() < 1 << 20) {
                        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
                done.complete(seen.toString());
            } catch (IOException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private static boolean awaitText(CompletableFuture<String> reader, String text) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            if (reader.toString().contains(text)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
