package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.store.Database;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reconcile at daemon start with 200 recorded VMs, 180 stopped and 20 running. The 20 "running" ones
 * have real VMMs: QEMU processes created paused (-S: no guest boots, so the figure is the daemon's
 * work, not TCG's) on their recorded QMP sockets, found by the same process scan as real VMs. The
 * daemon is restarted 7 times (2 warm-ups); the figure is the reconcile's own duration from its log line,
 * and beside it the wall time of the first command after a stop (daemon auto-start included).
 * Runs in the network namespace bench/run.sh makes (kept VMs bring the bridge and DNS up).
 */
final class ReconcileBench {
    private static final int RECORDS = 200;
    private static final int RUNNING = 20;
    private static final Pattern RECONCILED = Pattern.compile("reconciled (\\d+) VMs in (\\d+) ms: (\\d+) running");

    private final Path repo;
    private final List<String[]> rows;

    ReconcileBench(Path repo, List<String[]> rows) {
        this.repo = repo;
        this.rows = rows;
    }

    void run() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/tmp"), "br").toRealPath();
        Map<String, String> env = Map.of("BANGER_HOME", home.toString());
        String banger = repo.resolve("bin/banger").toString();
        List<Process> qemus = new ArrayList<>();
        try {
            Bench.run(env, banger, "vm", "list"); // starts the daemon
            Bench.placeholderImage(repo, env, home);
            Path socket = home.resolve("run/bangerd.sock");
            for (int i = 0; i < RECORDS; i++) {
                JsonNode r = Bench.rpc(socket, Rpcs.VM_CREATE, new Params.VmCreate("vm-" + i, null, null, null, null, null, null));
                if (r.has("error")) {
                    throw new IllegalStateException("create failed: " + r);
                }
            }
            Bench.run(env, banger, "daemon", "stop");
            try (Database db = Database.open(home.resolve("state.db"))) {
                List<VmRecord> vms = db.vms().list();
                for (VmRecord vm : vms.subList(0, RUNNING)) {
                    qemus.add(pausedQemu(Path.of(vm.runtime().apiSockPath())));
                    VmRecord running = vm.withRuntime(vm.runtime().withState(VmState.RUNNING, null), Instant.now());
                    db.vms().updateRuntime(vm.id(), running.runtime(), running.updatedAt());
                }
            }
            List<Long> reconcileMs = new ArrayList<>();
            List<Long> firstCommand = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                long t = Bench.time(env, List.of(banger, "vm", "list"));
                Matcher m = lastReconcile(home.resolve("bangerd.log"));
                if (Integer.parseInt(m.group(1)) != RECORDS || Integer.parseInt(m.group(3)) != RUNNING) {
                    throw new IllegalStateException("reconcile saw " + m.group(0) + ", expected " + RECORDS + " VMs, " + RUNNING + " running");
                }
                if (i >= 2) {
                    reconcileMs.add(Long.parseLong(m.group(2)) * 1_000_000);
                    firstCommand.add(t);
                }
                Bench.run(env, banger, "daemon", "stop");
            }
            rows.add(new String[] {"reconcile at start, " + RECORDS + " VMs (" + (RECORDS - RUNNING) + " stopped, " + RUNNING
                    + " running), median of 5", Bench.fmt(Bench.median(reconcileMs) / 1e6) + " ms", "target <= 1 s"});
            rows.add(new String[] {"  worst of 5", Bench.fmt(reconcileMs.stream().mapToLong(Long::longValue).max().orElseThrow() / 1e6) + " ms", ""});
            rows.add(new String[] {"first `banger vm list` after a stop (auto-start + reconcile), median of 5",
                    Bench.fmt(Bench.median(firstCommand) / 1e6) + " ms", ""});
        } finally {
            qemus.forEach(Process::destroyForcibly);
            for (Process q : qemus) {
                q.waitFor(10, TimeUnit.SECONDS);
            }
            try {
                Bench.run(env, banger, "daemon", "teardown");
            } catch (Exception e) {
                System.err.println("bench: teardown: " + e.getMessage());
            }
            Bench.stopDaemon(repo, home);
        }
    }

    private static Process pausedQemu(Path qmpSocket) throws Exception {
        Process p = new ProcessBuilder("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg", "-m", "32M", "-nodefaults",
                "-display", "none", "-S", "-qmp", "unix:" + qmpSocket + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(qmpSocket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("paused QEMU on " + qmpSocket + " did not come up");
            }
            Thread.sleep(20);
        }
        return p;
    }

    private static Matcher lastReconcile(Path log) throws Exception {
        Matcher last = null;
        for (String line : Files.readAllLines(log)) {
            Matcher m = RECONCILED.matcher(line);
            if (m.find()) {
                last = m;
            }
        }
        if (last == null) {
            throw new IllegalStateException("no reconcile line in " + log);
        }
        return last;
    }
}
