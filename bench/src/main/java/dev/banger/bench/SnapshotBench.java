package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 15's figures, side by side in one run: {@code vm run -- true} resumed from the image's template against the
 * same command booted cold (alternating, median of N); {@code vm fork --count 4} of a 512 MiB VM with how long until
 * each child answers {@code vm exec -- true}; the children's RSS and what of it the page cache shares; the snapshot
 * size of a freshly booted 512 MiB guest.
 */
final class SnapshotBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);

    private final VmBench vm;
    private final List<String[]> rows;

    SnapshotBench(VmBench vm, List<String[]> rows) {
        this.vm = vm;
        this.rows = rows;
    }

    void run() throws Exception {
        try {
            vm.importImage();
            long warmStart = System.nanoTime();
            String warmOut = vm.cliOut("image", "warm", "debian-bookworm", "--json");
            JsonNode template = Json.MAPPER.readTree(warmOut.substring(warmOut.indexOf('{'))); // after its progress lines
            double warmSeconds = (System.nanoTime() - warmStart) / 1e9;
            List<Long> warm = new ArrayList<>();
            List<Long> cold = new ArrayList<>();
            timedRun("warm-up-w", false);
            timedRun("warm-up-c", true);
            for (int i = 0; i < RUNS; i++) {
                Thread.sleep(1000);
                warm.add(timedRun("w" + i, false));
                Thread.sleep(1000);
                cold.add(timedRun("c" + i, true));
            }
            double w = Bench.median(warm) / 1e9;
            double c = Bench.median(cold) / 1e9;
            rows.add(new String[] {"`vm run -- true` from the image's template (median of " + RUNS + ")", String.format("%.2f s", w),
                    "target <= 1.5 s"});
            rows.add(new String[] {"`vm run --cold -- true`, booted (median of " + RUNS + ")", String.format("%.2f s", c), ""});
            rows.add(new String[] {"warm / cold", String.format("%.2f", w / c), "target <= 0.35"});
            rows.add(new String[] {"  all warm runs", seconds(warm), ""});
            rows.add(new String[] {"  all cold runs", seconds(cold), ""});
            rows.add(new String[] {"`image warm` (boot a template VM, snapshot it, delete it)", String.format("%.1f s", warmSeconds), "report"});
            rows.add(new String[] {"template snapshot on disk, freshly booted 512 MiB guest (saved state)",
                    mib(template.get("size_bytes").asLong()) + " (" + mib(template.get("state_bytes").asLong()) + ")", "target < 200 MiB"});
            fork();
        } finally {
            vm.cleanUp();
        }
    }

    /** One vm run, timed end to end; the VM deleted afterwards, untimed. */
    private long timedRun(String name, boolean cold) throws Exception {
        List<String> argv = new ArrayList<>(List.of(vm.banger(), "vm", "run", "--name", name));
        if (cold) {
            argv.add("--cold");
        }
        argv.addAll(List.of("--", "true"));
        long t = Bench.time(vm.env, argv);
        vm.cli("vm", "delete", "--force", name);
        return t;
    }

    private void fork() throws Exception {
        vm.cli("vm", "run", "--cold", "--name", "parent", "--", "true");
        vm.cli("vm", "exec", "parent", "--", "sh", "-c", "head -c 64M /dev/urandom > /dev/shm/ballast");
        long t0 = System.nanoTime();
        Process fork = vm.start(List.of(vm.banger(), "vm", "fork", "parent", "--count", "4", "--json"));
        String out = new String(fork.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!fork.waitFor(10, TimeUnit.MINUTES) || fork.exitValue() != 0) {
            throw new IllegalStateException("vm fork failed: " + out);
        }
        double forkSeconds = (System.nanoTime() - t0) / 1e9;
        JsonNode forked = Json.MAPPER.readTree(out.substring(out.indexOf('{')));
        // Each child's first exec, one after the other, from the fork's start: when each answers.
        List<String> answered = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            vm.cli("vm", "exec", "parent-" + i, "--", "true");
            answered.add(String.format("%.2f s", (System.nanoTime() - t0) / 1e9));
        }
        rows.add(new String[] {"`vm fork --count 4` of a running 512 MiB VM (64 MiB in /dev/shm), all 4 resumed and re-identified",
                String.format("%.2f s (parent paused %d ms)", forkSeconds, forked.get("paused_ms").asLong()),
                "2 s target holds on KVM; TCG here: report"});
        rows.add(new String[] {"  each child answering `vm exec -- true`, from the fork's start", String.join(", ", answered), "report"});
        long rss = 0;
        long shared = 0;
        for (int i = 1; i <= 4; i++) {
            long pid = qemuPid(vm.show("parent-" + i).at("/runtime/api_sock_path").asText());
            Map<String, Long> m = smapsRollup(pid);
            rss += m.getOrDefault("Rss", 0L);
            shared += m.getOrDefault("Shared_Clean", 0L) + m.getOrDefault("Shared_Dirty", 0L);
        }
        rows.add(new String[] {"children's QEMU RSS, 4 together (of which shared)", (rss / 1024) + " MiB (" + (shared / 1024) + " MiB)",
                "report: QEMU 7.2 copies a state into each child's memory, no page sharing"});
        String layer = forked.get("snapshot").asText();
        JsonNode snap = Json.MAPPER.readTree(vm.cliOut("snapshot", "show", layer, "--json"));
        rows.add(new String[] {"fork layer on disk (saved state), 64 MiB of /dev/shm in the guest", mib(snap.get("size_bytes").asLong())
                + " (" + mib(snap.get("state_bytes").asLong()) + ")", "report"});
    }

    private static long qemuPid(String qmpSocket) throws Exception {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    if (cmd.startsWith("qemu-system") && cmd.contains(qmpSocket)) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        throw new IllegalStateException("no QEMU for " + qmpSocket);
    }

    /** /proc/PID/smaps_rollup's kB lines, by name. */
    private static Map<String, Long> smapsRollup(long pid) throws Exception {
        Map<String, Long> m = new java.util.HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            String[] f = line.split("\\s+");
            if (f.length >= 3 && f[0].endsWith(":") && f[2].equals("kB")) {
                m.put(f[0].substring(0, f[0].length() - 1), Long.parseLong(f[1]));
            }
        }
        return m;
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    private static String seconds(List<Long> nanos) {
        return String.join(", ", nanos.stream().map(n -> String.format("%.2f", n / 1e9)).toList());
    }
}
