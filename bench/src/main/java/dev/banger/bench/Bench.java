package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.Rpc;
import dev.banger.api.Rpcs;
import dev.banger.api.RpcRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * banger's benchmarks for the foundation, measured side by side in one run, printed as one table.
 * Usage (see bench/run.sh): java -jar bench.jar REPO_DIR
 *
 * <ol>
 *   <li>CLI round trip: {@code bin/banger vm list} against a running daemon, alternated with a bare JVM
 *       printing "hello" from a class directory ({@code java -cp DIR Hello}, default JVM options), 5 runs each
 *       after warm-ups; the figure is the ratio of the bests.</li>
 *   <li>{@code vm.list} with 1,000 records: a real bangerd, 1,000 VMs created over RPC, then the
 *       round trip of vm.list from a warm client on the raw socket (median after warm-up).</li>
 * </ol>
 */
public final class Bench {
    private static final int CLI_RUNS = Integer.getInteger("bench.cliRuns", 5);
    private static final int LIST_RECORDS = Integer.getInteger("bench.records", 1000);

    private final Path repo;
    private final List<String[]> rows = new ArrayList<>();

    private Bench(Path repo) {
        this.repo = repo;
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        String what = args.length > 1 ? args[1] : "foundation";
        Bench b = new Bench(repo);
        switch (what) {
            case "foundation" -> {
                b.cliRoundTrip();
                b.listThousand();
            }
            case "image" -> b.imageBuild();
            case "cow" -> b.cowCreation();
            case "rawroot" -> b.rawRootFallback();
            case "vm" -> new VmBench(repo, b.rows).overhead();
            case "fleet" -> new VmBench(repo, b.rows).fleet();
            case "reconcile" -> new ReconcileBench(repo, b.rows).run();
            case "ports" -> new VmBench(repo, b.rows).ports();
            case "agent" -> new VmBench(repo, b.rows).agent();
            case "cp" -> new CopyBench(new VmBench(repo, b.rows), b.rows).run();
            case "mount" -> new MountBench(new VmBench(repo, b.rows), b.rows).run();
            case "snapshot" -> new SnapshotBench(new VmBench(repo, b.rows), b.rows).run();
            case "publish" -> new PublishBench(new VmBench(repo, b.rows), b.rows).run();
            case "e2b" -> new E2bBench(new VmBench(repo, b.rows), b.rows, repo).run();
            case "nomad" -> new NomadBench(new VmBench(repo, b.rows), b.rows, repo).run();
            default -> throw new IllegalArgumentException("unknown benchmark '" + what
                    + "': foundation, image, cow, rawroot, vm, fleet, reconcile, ports, agent, cp, snapshot, publish, mount, e2b or nomad");
        }
        b.print();
    }

    /**
     * Copy-on-write root creation must not depend on the base's size: qcow2 overlays over a 256 MiB and a
     * 4 GiB raw base (sparse files, as banger's images are), created with the exact argv banger uses,
     * alternately, 30 times each; medians compared.
     */
    private void cowCreation() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bc");
        try {
            Path small = dir.resolve("small.raw");
            Path large = dir.resolve("large.raw");
            run(Map.of(), "truncate", "-s", "256M", small.toString());
            run(Map.of(), "truncate", "-s", "4G", large.toString());
            List<Long> smallTimes = new ArrayList<>();
            List<Long> largeTimes = new ArrayList<>();
            for (int i = 0; i < 33; i++) {
                Path o1 = dir.resolve("o1.qcow2");
                Path o2 = dir.resolve("o2.qcow2");
                long a = time(Map.of(), dev.banger.core.disk.DiskCommands.overlay(small, o1, 0));
                long b = time(Map.of(), dev.banger.core.disk.DiskCommands.overlay(large, o2, 0));
                Files.delete(o1);
                Files.delete(o2);
                if (i >= 3) { // warm-up
                    smallTimes.add(a);
                    largeTimes.add(b);
                }
            }
            double s = median(smallTimes) / 1e6;
            double l = median(largeTimes) / 1e6;
            rows.add(new String[] {"CoW root over a 256 MiB base (median of 30)", fmt(s) + " ms", ""});
            rows.add(new String[] {"CoW root over a 4 GiB base (median of 30)", fmt(l) + " ms", ""});
            rows.add(new String[] {"ratio 4 GiB / 256 MiB", String.format("%.2f", l / s), "target within 10% (0.90-1.10)"});
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * What a Firecracker VM's root costs where device-mapper is missing: RawCow's full copy of the real
     * image (reflinked where the filesystem can, else sparse), side by side with QEMU's qcow2 overlay over
     * the same base, 5 each after one warm-up, alternately; medians, and the disk the copy takes.
     */
    private void rawRootFallback() throws Exception {
        Path base = Path.of(System.getProperty("bench.image", repo.resolve("banger-it/target/it-image").toString()))
                .resolve("rootfs.ext4");
        if (!Files.isRegularFile(base)) {
            throw new IllegalStateException("no image at " + base + ": run the integration tests once, or set BANGER_BENCH_IMAGE");
        }
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "br");
        try {
            List<Long> copies = new ArrayList<>();
            List<Long> overlays = new ArrayList<>();
            long usedKib = 0;
            String kind = "";
            for (int i = 0; i < 6; i++) {
                Path copy = dir.resolve("root.img");
                Path overlay = dir.resolve("root.qcow2");
                long t0 = System.nanoTime();
                dev.banger.host.disk.RawCow.Root root = dev.banger.host.disk.RawCow.prepare("0123456789ab", base,
                        dir.resolve("root.cow"), copy, 0, false, dev.banger.host.vm.VmHandles.NONE, h -> { });
                long copyNs = System.nanoTime() - t0;
                long overlayNs = time(Map.of(), dev.banger.core.disk.DiskCommands.overlay(base, overlay, 0));
                usedKib = diskUsageKib(copy);
                kind = root.warning().orElse("").contains("reflink") ? "reflink" : "sparse";
                Files.delete(copy);
                Files.delete(overlay);
                if (i >= 1) {
                    copies.add(copyNs);
                    overlays.add(overlayNs);
                }
            }
            double c = median(copies) / 1e6;
            double o = median(overlays) / 1e6;
            long apparentMib = Files.size(base) / (1024 * 1024);
            rows.add(new String[] {"Firecracker root without device-mapper: " + kind + " copy of the image (median of 5)",
                    fmt(c) + " ms", usedKib / 1024 + " MiB on disk per VM (image " + apparentMib + " MiB apparent)"});
            rows.add(new String[] {"QEMU qcow2 overlay over the same image (median of 5)", fmt(o) + " ms", "a header"});
            rows.add(new String[] {"ratio copy / overlay", String.format("%.0f", c / o), "the cost the start warning announces"});
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The default image: one build to fill the package cache (reported too), a second with the cache warm
     * (the figure), then its size with du and the largest contributors from its build log.
     */
    private void imageBuild() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/tmp"), "bb");
        try {
            Map<String, String> env = Map.of("BANGER_HOME", home.toString());
            String banger = repo.resolve("bin/banger").toString();
            long cold = time(env, List.of(banger, "image", "build", "--name", "cold"));
            run(env, banger, "image", "rm", "cold");
            long warm = time(env, List.of(banger, "image", "build", "--name", "warm"));
            rows.add(new String[] {"image build, empty package cache", fmt(cold / 1e9) + " s", ""});
            rows.add(new String[] {"image build, warm package cache", fmt(warm / 1e9) + " s", "target <= 180 s"});
            Path dir = home.resolve("images/warm");
            long total = 0;
            try (var files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    long allocated = allocatedBytes(f);
                    total += allocated;
                    rows.add(new String[] {"  " + f.getFileName() + " (allocated)", fmt(allocated / 1048576.0) + " MiB", ""});
                }
            }
            rows.add(new String[] {"default image on disk (du)", fmt(total / 1048576.0) + " MiB", "target <= 450 MiB"});
            for (String line : Files.readAllLines(dir.resolve("build.log"))) {
                if (line.startsWith("#   ")) {
                    rows.add(new String[] {"  rootfs " + line.substring(4).trim().replaceFirst("^[0-9.]+\\s+", ""),
                            line.substring(4).trim().split("\\s+")[0] + " MiB", ""});
                }
            }
        } finally {
            stopDaemon(home);
        }
    }

    /**
     * The default image as files that pass import's checks but cannot boot (a bzImage header, an empty
     * ext4): the record benchmarks need an image to exist, never a VM to start.
     */
    static void placeholderImage(Path repo, Map<String, String> env, Path home) throws Exception {
        Path dir = Files.createDirectories(home.resolve("placeholder-image"));
        // A bzImage setup header (setup_sects 4, "HdrS", boot protocol 2.15) in 4 KiB: import's kernel check passes.
        byte[] kernel = new byte[4096];
        kernel[0x1f1] = 4;
        System.arraycopy("HdrS".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, kernel, 0x202, 4);
        kernel[0x206] = 0x0f;
        kernel[0x207] = 0x02;
        Files.write(dir.resolve("vmlinuz"), kernel);
        run(env, "mkfs.ext4", "-q", "-F", dir.resolve("rootfs.ext4").toString(), "8M");
        run(env, repo.resolve("bin/banger").toString(), "image", "import", "--name", "debian-bookworm",
                "--kernel", dir.resolve("vmlinuz").toString(), "--rootfs", dir.resolve("rootfs.ext4").toString());
    }

    private static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("du", "-s", "--block-size=1", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return Long.parseLong(out.trim().split("\\s+")[0]);
    }

    /**
     * {@code bin/banger vm list} (the real launcher and AOT cache, a daemon with 3 VM records) against the baseline
     * the issue names: a bare JVM started from a class directory, {@code java -cp DIR Hello} with default options
     * (a jar on the class path would make the baseline slower). The daemon first serves 200 vm.list calls on its
     * socket, as one up for a while has; then, alternated, 3 warm-ups and 5 of each; the bests are compared.
     */
    private void cliRoundTrip() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/tmp"), "bb");
        Path classes = Files.createTempDirectory(Path.of("/tmp"), "bh");
        try {
            Map<String, String> env = Map.of("BANGER_HOME", home.toString());
            placeholderImage(repo, env, home);
            for (int i = 0; i < 3; i++) {
                run(env, repo.resolve("bin/banger").toString(), "vm", "create", "--name", "bench-" + i);
            }
            String hello = Hello.class.getName().replace('.', '/') + ".class";
            Path helloClass = Files.createDirectories(classes.resolve(hello).getParent()).resolve(Path.of(hello).getFileName());
            try (var in = Hello.class.getClassLoader().getResourceAsStream(hello)) {
                Files.copy(in, helloClass);
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> bare = List.of(java, "-cp", classes.toString(), Hello.class.getName());
            List<String> list = List.of(repo.resolve("bin/banger").toString(), "vm", "list");
            // The daemon as it is after a while up: its own code compiled (the CLI's start-up is measured, not the
            // daemon's first requests); then the page cache warmed for both commands.
            Path socket = home.resolve("run/bangerd.sock");
            for (int i = 0; i < 200; i++) {
                rpc(socket, Rpcs.VM_LIST, null);
            }
            for (int i = 0; i < 3; i++) {
                time(env, bare);
                time(env, list);
            }
            List<Long> helloTimes = new ArrayList<>();
            List<Long> listTimes = new ArrayList<>();
            for (int i = 0; i < CLI_RUNS; i++) {
                helloTimes.add(time(env, bare));
                listTimes.add(time(env, list));
            }
            double h = Collections.min(helloTimes) / 1e6;
            double l = Collections.min(listTimes) / 1e6;
            rows.add(new String[] {"bare JVM hello from a class directory (best of " + CLI_RUNS + "; median "
                    + fmt(median(helloTimes) / 1e6) + " ms)", fmt(h) + " ms", ""});
            rows.add(new String[] {"banger vm list, daemon up (best of " + CLI_RUNS + "; median " + fmt(median(listTimes) / 1e6)
                    + " ms)", fmt(l) + " ms", ""});
            rows.add(new String[] {"ratio vm list / hello (bests)", String.format("%.2f", l / h), "target <= 3"});
        } finally {
            stopDaemon(home);
            try (var walk = Files.walk(classes)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void listThousand() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/tmp"), "bb");
        try {
            Map<String, String> env = Map.of("BANGER_HOME", home.toString());
            // A /24 holds 253 guests; 1,000 records need a larger subnet.
            Files.writeString(home.resolve("config.toml"), "[network]\nsubnet = \"172.30.0.0/20\"\n");
            run(env, repo.resolve("bin/banger").toString(), "vm", "list"); // start the daemon
            placeholderImage(repo, env, home);
            Path socket = home.resolve("run/bangerd.sock");
            long t0 = System.nanoTime();
            for (int i = 0; i < LIST_RECORDS; i++) {
                JsonNode r = rpc(socket, Rpcs.VM_CREATE, new Params.VmCreate("vm-" + i, null, null, null, null, null, null));
                if (r.has("error")) {
                    throw new IllegalStateException("create failed: " + r);
                }
            }
            double createSeconds = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < 20; i++) {
                rpc(socket, Rpcs.VM_LIST, null);
            }
            List<Long> times = new ArrayList<>();
            int count = 0;
            for (int i = 0; i < 30; i++) {
                long s = System.nanoTime();
                JsonNode r = rpc(socket, Rpcs.VM_LIST, null);
                times.add(System.nanoTime() - s);
                count = r.path("result").path("vms").size();
            }
            if (count != LIST_RECORDS) {
                throw new IllegalStateException("vm.list returned " + count + " records, expected " + LIST_RECORDS);
            }
            rows.add(new String[] {LIST_RECORDS + " x vm.create over RPC (sequential)", fmt(createSeconds * 1000 / LIST_RECORDS) + " ms each", ""});
            rows.add(new String[] {"vm.list with " + LIST_RECORDS + " records, RPC round trip (median of 30)", fmt(median(times) / 1e6) + " ms",
                    "target <= 50 ms"});
            rows.add(new String[] {"vm.list with " + LIST_RECORDS + " records, worst of 30", fmt(Collections.max(times) / 1e6) + " ms", ""});
        } finally {
            stopDaemon(home);
        }
    }

    static <P> JsonNode rpc(Path socket, Rpc<P, ?> method, P params) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            var out = Channels.newOutputStream(ch);
            out.write((Json.line(RpcRequest.call(1, method, params)) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            return Json.MAPPER.readTree(in.readLine());
        }
    }

    private void stopDaemon(Path home) throws Exception {
        stopDaemon(repo, home);
    }

    /** Stops the daemon of {@code home} and deletes the home. */
    static void stopDaemon(Path repo, Path home) throws Exception {
        run(Map.of("BANGER_HOME", home.toString()), repo.resolve("bin/banger").toString(), "daemon", "stop");
        try (var walk = Files.walk(home)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static long time(Map<String, String> env, List<String> command) throws Exception {
        // (image builds take minutes; run() waits up to 20)
        long s = System.nanoTime();
        run(env, command.toArray(String[]::new));
        return System.nanoTime() - s;
    }

    static void run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", command));
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("exit " + p.exitValue() + ": " + String.join(" ", command));
        }
    }

    /** The blocks a (sparse) file really takes, by du. */
    static long diskUsageKib(Path file) {
        String out = dev.banger.host.HostCommand.run(List.of("du", "-k", "--", file.toString()), java.time.Duration.ofMinutes(1)).text();
        return Long.parseLong(out.strip().split("\\s+")[0]);
    }

    static double median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    static String fmt(double v) {
        return String.format("%.1f", v);
    }

    private void print() {
        System.out.println("| measurement | value | target |");
        System.out.println("| --- | --- | --- |");
        for (String[] r : rows) {
            System.out.println("| " + r[0] + " | " + r[1] + " | " + r[2] + " |");
        }
    }

}
