package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue 17's figures, with the unmodified E2B SDK on Node ({@code bench/e2b-bench.mjs}, over banger-it/e2b-sdk's
 * {@code e2b} 2.51.0) against this benchmark's daemon with the E2B listener on, in bench/run.sh's network namespace:
 * {@code Sandbox.create()} to the first {@code commands.run('true')} result, cold (no template: the benchmarks' config turns
 * {@code auto_template} off) and then warm (after {@code image warm}), N each, one after the other; then 8 sandboxes created
 * at once by one client, each running {@code echo ok}.
 */
final class E2bBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final int CONCURRENT = 8;
    private static final String LISTEN = "127.0.0.1:3000";

    private final VmBench vm;
    private final List<String[]> rows;
    private final Path repo;

    E2bBench(VmBench vm, List<String[]> rows, Path repo) {
        this.vm = vm;
        this.rows = rows;
        this.repo = repo;
    }

    void run() throws Exception {
        if (!Files.isRegularFile(repo.resolve("banger-it/e2b-sdk/node_modules/e2b/package.json"))) {
            throw new IllegalStateException("the E2B SDK is not installed: run ./setup.sh --deps-only (npm ci in banger-it/e2b-sdk)");
        }
        // Before the daemon's first start (importImage starts it).
        Files.writeString(vm.home.resolve("config.toml"), "\n[e2b]\nlisten = \"" + LISTEN + "\"\n", StandardOpenOption.APPEND);
        try {
            vm.importImage();
            String out = vm.cliOut("e2b", "key", "create", "--json");
            String key = Json.MAPPER.readTree(out.substring(out.indexOf('{'))).get("key").asText();
            JsonNode cold = node(key, "create", RUNS);
            long t0 = System.nanoTime();
            vm.cliOut("image", "warm", "debian-bookworm", "--json");
            double warmSeconds = (System.nanoTime() - t0) / 1e9;
            JsonNode warm = node(key, "create", RUNS);
            // The same work without the E2B layer, from the same template in the same run: the baseline of the warm figure.
            List<Long> plain = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                plain.add(vm.bangerRun("plain" + i) / 1_000_000); // ns to ms, as the SDK runs are
            }
            JsonNode together = node(key, "concurrent", CONCURRENT);

            rows.add(new String[] {"`Sandbox.create()` to the first `commands.run('true')` result, warm template (median of " + RUNS + ")",
                    seconds(Bench.median(millis(warm))), "target <= 2 s (E2B cloud on KVM: ~150 ms)"});
            rows.add(new String[] {"  each warm run", each(warm), ""});
            rows.add(new String[] {"baseline: `banger vm run -- true` from the same template, same run (median of " + RUNS + "; "
                    + String.join(", ", plain.stream().map(m -> String.format("%.2f", m / 1e3)).toList()) + " s)",
                    seconds(Bench.median(plain)), "the same work without the E2B layer"});
            rows.add(new String[] {"ratio E2B create+run / `vm run`", String.format("%.2f", Bench.median(millis(warm)) / Bench.median(plain)),
                    "report"});
            rows.add(new String[] {"the same, cold: no template, the VM booted (median of " + RUNS + ")", seconds(Bench.median(millis(cold))),
                    "report"});
            rows.add(new String[] {"  each cold run", each(cold), ""});
            rows.add(new String[] {"`image warm` (the template the warm runs restore)", String.format("%.1f s", warmSeconds), "report"});
            rows.add(new String[] {CONCURRENT + " sandboxes created at once by one SDK client (`Promise.all`), each `echo ok` checked: total",
                    seconds(together.get("totalMs").asDouble()) + " (" + together.get("distinct").asInt() + " distinct, all correct)",
                    "all correct; report the time"});
            rows.add(new String[] {"  each, create to `echo ok`", each(together), ""});
        } finally {
            vm.cleanUp();
        }
    }

    /** Runs bench/e2b-bench.mjs and returns the one JSON line it prints; its failure is this benchmark's. */
    private JsonNode node(String key, String mode, int count) throws Exception {
        String url = "http://" + LISTEN;
        ProcessBuilder pb = new ProcessBuilder("node", repo.resolve("bench/e2b-bench.mjs").toString(), mode, Integer.toString(count))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(vm.env);
        pb.environment().putAll(java.util.Map.of("E2B_API_URL", url, "E2B_SANDBOX_URL", url, "E2B_API_KEY", key,
                "E2B_TEMPLATE", "debian-bookworm"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("bench/e2b-bench.mjs " + mode + " " + count + " failed (its error is above): " + out);
        }
        return Json.MAPPER.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    private static List<Long> millis(JsonNode result) {
        List<Long> ms = new ArrayList<>();
        result.get("runs").forEach(n -> ms.add(n.asLong()));
        return ms;
    }

    private static String seconds(double millis) {
        return String.format("%.2f s", millis / 1e3);
    }

    private static String each(JsonNode result) {
        return String.join(", ", millis(result).stream().map(m -> String.format("%.2f", m / 1e3)).toList()) + " s";
    }
}
