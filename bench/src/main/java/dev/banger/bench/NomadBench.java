package dev.banger.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.banger.nomad.cty.CtyMsgpack;
import dev.banger.nomad.cty.TaskConfig;
import hashicorp.nomad.plugins.base.proto.BasePluginGrpc;
import hashicorp.nomad.plugins.base.proto.Base.SetConfigRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverGrpc;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.DestroyTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.StartTaskResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.TaskStatsRequest;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.WaitTaskRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issue 18's figures: bin/banger-nomad launched as Nomad launches it (the magic cookie, plain gRPC on its Unix socket),
 * against this benchmark's daemon in bench/run.sh's namespace. A task of {@code true}, StartTask to WaitTask's result,
 * alternated with {@code banger vm run -- true} on the same daemon (both boot a VM: no template); then the plugin's
 * resident memory, idle before any call and idle after them, and while a task runs with Nomad's streams open.
 */
final class NomadBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 3);
    /** How long the busy measurement lets the plugin work before reading its RSS. */
    private static final int BUSY_SECONDS = 10;
    private static final String COOKIE = "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";

    private final VmBench vm;
    private final List<String[]> rows;
    private final Path repo;

    NomadBench(VmBench vm, List<String[]> rows, Path repo) {
        this.vm = vm;
        this.rows = rows;
        this.repo = repo;
    }

    void run() throws Exception {
        vm.importImage();
        ProcessBuilder pb = new ProcessBuilder(repo.resolve("bin/banger-nomad").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(vm.env);
        pb.environment().put("NOMAD_PLUGIN_MAGIC_COOKIE", COOKIE);
        pb.environment().put("PLUGIN_PROTOCOL_VERSIONS", "2");
        Process plugin = pb.start();
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = null;
        try {
            String line = new BufferedReader(new InputStreamReader(plugin.getInputStream(), StandardCharsets.UTF_8)).readLine();
            String[] f = line == null ? new String[0] : line.split("\\|", -1);
            if (f.length < 5 || !f[2].equals("unix") || !f[4].equals("grpc")) {
                throw new IllegalStateException("no handshake from bin/banger-nomad: " + line);
            }
            Thread.sleep(5_000);
            long idleBefore = rssKib(plugin.pid());
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(f[3])).channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(loop).usePlaintext().build();
            BasePluginGrpc.newBlockingStub(channel).setConfig(SetConfigRequest.newBuilder().setPluginApiVersion("v0.1.0").build());
            DriverGrpc.DriverBlockingStub driver = DriverGrpc.newBlockingStub(channel);

            List<Long> tasks = new ArrayList<>();
            List<Long> plain = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                plain.add(vm.bangerRun("plain" + i) / 1_000_000);
                tasks.add(task(driver, "bench" + i));
            }
            Thread.sleep(5_000);
            long idleAfter = rssKib(plugin.pid());
            long busy = busyRss(channel, plugin.pid());

            double t = Bench.median(tasks);
            double p = Bench.median(plain);
            rows.add(new String[] {"StartTask to WaitTask's result, a task of `true` (median of " + RUNS + "; " + list(tasks) + " s)",
                    String.format("%.2f s", t / 1e3), "report"});
            rows.add(new String[] {"baseline: `banger vm run -- true` on the same daemon, alternated (median of " + RUNS + "; " + list(plain)
                    + " s)", String.format("%.2f s", p / 1e3), "the same work without Nomad's driver"});
            rows.add(new String[] {"the driver's added latency (medians' difference; ratio)", String.format("%+.2f s; %.2f", (t - p) / 1e3, t / p),
                    "report"});
            rows.add(new String[] {"the plugin's RSS, idle after its handshake, before any call", String.format("%.1f MiB", idleBefore / 1024.0), "<= 64 MiB idle"});
            rows.add(new String[] {"the plugin's RSS, idle after these calls", String.format("%.1f MiB", idleAfter / 1024.0), "<= 64 MiB idle"});
            rows.add(new String[] {"the plugin's RSS while a task runs (a line of output every 0.2 s relayed; Fingerprint and 1 s "
                    + "TaskStats streams open), after " + BUSY_SECONDS + " s", String.format("%.1f MiB", busy / 1024.0),
                    "report (the target is for idle)"});
        } finally {
            if (channel != null) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            plugin.destroy();
            plugin.waitFor(10, TimeUnit.SECONDS);
            vm.cleanUp();
        }
    }

    /**
     * The plugin at work, as a Nomad client keeps it: a task printing a line every 0.2 s (its output relayed to the
     * task's stdout path), with the Fingerprint stream and a TaskStats stream every second open for BUSY_SECONDS;
     * then its RSS. Fails unless both streams delivered, so the figure is of a plugin that did the work.
     */
    private static long busyRss(ManagedChannel channel, long pid) throws Exception {
        String id = "6a1b2c3d-0000-4000-8000-00000000beef/busy/0";
        DriverGrpc.DriverBlockingStub driver = DriverGrpc.newBlockingStub(channel);
        start(driver, id, "busy", List.of("sh", "-c", "while true; do date; sleep 0.2; done"));
        Counting<DriverOuterClass.FingerprintResponse> fingerprints = new Counting<>();
        Counting<DriverOuterClass.TaskStatsResponse> stats = new Counting<>();
        Context.CancellableContext streams = Context.current().withCancellation();
        try {
            streams.run(() -> {
                DriverGrpc.DriverStub async = DriverGrpc.newStub(channel);
                async.fingerprint(FingerprintRequest.getDefaultInstance(), fingerprints);
                async.taskStats(TaskStatsRequest.newBuilder().setTaskId(id)
                        .setCollectionInterval(Duration.newBuilder().setSeconds(1)).build(), stats);
            });
            Thread.sleep(BUSY_SECONDS * 1000L);
            long rss = rssKib(pid);
            if (fingerprints.count.get() == 0 || stats.count.get() < BUSY_SECONDS / 2 || fingerprints.failure != null || stats.failure != null) {
                throw new IllegalStateException("the busy plugin's streams delivered " + fingerprints + " fingerprints and "
                        + stats + " stats in " + BUSY_SECONDS + " s");
            }
            return rss;
        } finally {
            streams.cancel(null);
            driver.destroyTask(DestroyTaskRequest.newBuilder().setTaskId(id).setForce(true).build());
        }
    }

    /** Counts a stream's messages and keeps how it failed, if it did. */
    private static final class Counting<T> implements StreamObserver<T> {
        final AtomicInteger count = new AtomicInteger();
        volatile Throwable failure;

        @Override
        public void onNext(T value) {
            count.incrementAndGet();
        }

        @Override
        public void onError(Throwable t) {
            failure = t;
        }

        @Override
        public void onCompleted() {
        }

        @Override
        public String toString() {
            return count.get() + (failure == null ? "" : " (then " + failure + ")");
        }
    }

    /** One task of {@code true}: StartTask, then WaitTask until its exit (timed); then DestroyTask (untimed). */
    private static long task(DriverGrpc.DriverBlockingStub driver, String name) {
        String id = "6a1b2c3d-0000-4000-8000-00000000beef/" + name + "/0";
        long t0 = System.nanoTime();
        start(driver, id, name, List.of("true"));
        var exit = driver.withDeadlineAfter(10, TimeUnit.MINUTES).waitTask(WaitTaskRequest.newBuilder().setTaskId(id).build());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (exit.getResult().getExitCode() != 0) {
            throw new IllegalStateException("the task of `true` exited " + exit.getResult().getExitCode() + ": " + exit.getErr());
        }
        driver.destroyTask(DestroyTaskRequest.newBuilder().setTaskId(id).setForce(true).build());
        return ms;
    }

    private static void start(DriverGrpc.DriverBlockingStub driver, String id, String name, List<String> command) {
        Map<String, Object> config = new LinkedHashMap<>();
        TaskConfig.SPEC.attrs().forEach(a -> config.put(a.name(), null));
        config.put("command", command);
        DriverOuterClass.TaskConfig task = DriverOuterClass.TaskConfig.newBuilder().setId(id).setName(name)
                .setAllocId("6a1b2c3d-0000-4000-8000-00000000beef")
                .setMsgpackDriverConfig(ByteString.copyFrom(CtyMsgpack.encode(config, TaskConfig.SPEC.type())))
                .setStdoutPath("/dev/null").setStderrPath("/dev/null").build();
        StartTaskResponse started = driver.withDeadlineAfter(10, TimeUnit.MINUTES).startTask(StartTaskRequest.newBuilder().setTask(task).build());
        if (started.getResult() != StartTaskResponse.Result.SUCCESS) {
            throw new IllegalStateException("StartTask: " + started.getDriverErrorMsg());
        }
    }

    private static long rssKib(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + pid);
    }

    private static String list(List<Long> ms) {
        return String.join(", ", ms.stream().map(m -> String.format("%.2f", m / 1e3)).toList());
    }
}
