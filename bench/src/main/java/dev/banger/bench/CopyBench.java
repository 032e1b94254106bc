package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.ProcParsers;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code vm cp} of a 256 MiB file into a booted VM against plain OpenSSH ({@code scp} with banger's key and
 * the VM's pinned host key, to the guest's address), alternately, in the same run, inside bench/run.sh's
 * network namespace; the copy back out for the record; and the guest agent's RSS: idle before, sampled
 * during the copies in ({@code /proc/PID/status} through {@code vm exec} every second or so), and its peak
 * (VmHWM) after them. Figures are wall clock from the command's start to its exit; files are removed between
 * runs, untimed.
 */
final class CopyBench {
    private static final int RUNS = Integer.getInteger("bench.cpRuns", 3);
    private static final int MIB = 256;
    private static final Pattern HWM = Pattern.compile("VmHWM:\\s+(\\d+) kB");

    private final VmBench vm;
    private final List<String[]> rows;

    CopyBench(VmBench vm, List<String[]> rows) {
        this.vm = vm;
        this.rows = rows;
    }

    void run() throws Exception {
        try {
            vm.importImage();
            vm.cli("vm", "run", "--name", "cp", "--", "true");
            JsonNode cp = vm.show("cp");
            Path file = randomFile(vm.home.resolve("big.bin"));
            List<String> scp = scpArgv(cp, file);
            String agent = vm.cliOut("vm", "exec", "cp", "--", "pgrep", "-o", "-f", "banger-agent.jar").strip();
            long idle = ProcParsers.vmRssKib(status(agent));

            copyIn(file, "/work/warm-up");
            Bench.run(vm.env, scp.toArray(String[]::new));
            List<Long> bangerIn = new ArrayList<>();
            List<Long> plain = new ArrayList<>();
            List<Long> bangerOut = new ArrayList<>();
            long sampled = 0;
            for (int i = 0; i < RUNS; i++) {
                clean();
                AtomicBoolean copying = new AtomicBoolean(true);
                AtomicLong most = new AtomicLong();
                Thread sampler = Thread.ofPlatform().start(() -> sample(agent, copying, most));
                bangerIn.add(copyIn(file, "/work/in-" + i));
                copying.set(false);
                sampler.join();
                sampled = Math.max(sampled, most.get());
                plain.add(Bench.time(vm.env, scp));
                Path back = vm.home.resolve("back-" + i);
                bangerOut.add(Bench.time(vm.env, List.of(vm.banger(), "vm", "cp", "cp:/work/in-" + i, back.toString())));
                if (Files.mismatch(file, back) != -1) {
                    throw new IllegalStateException("the copy that came back differs from the file sent");
                }
                Files.delete(back);
            }
            Matcher peak = HWM.matcher(status(agent));
            double in = Bench.median(bangerIn) / 1e9;
            double ssh = Bench.median(plain) / 1e9;
            double out = Bench.median(bangerOut) / 1e9;
            rows.add(new String[] {"`vm cp` of " + MIB + " MiB into the VM, TCG (median of " + RUNS + ")", rate(in), ""});
            rows.add(new String[] {"plain `scp` of the same file to the guest's address (median of " + RUNS + ")", rate(ssh), ""});
            rows.add(new String[] {"throughput ratio vm cp / scp", String.format("%.2f", ssh / in), "target >= 2"});
            rows.add(new String[] {"`vm cp` of the same file out of the VM (median of " + RUNS + ")", rate(out), "report"});
            rows.add(new String[] {"guest agent RSS: idle before / most sampled during the copies in / peak (VmHWM) after",
                    (idle >> 10) + " / " + (sampled >> 10) + " / " + (peak.find() ? Long.parseLong(peak.group(1)) >> 10 : -1) + " MiB",
                    "target <= 64 MiB during the copy"});
            rows.add(new String[] {"  all runs in, vm cp / scp (s)", seconds(bangerIn) + " / " + seconds(plain), ""});
        } finally {
            vm.cleanUp();
        }
    }

    private long copyIn(Path file, String guestPath) throws Exception {
        return Bench.time(vm.env, List.of(vm.banger(), "vm", "cp", file.toString(), "cp:" + guestPath));
    }

    /** The guest's /work emptied of earlier runs (its disk holds a few copies, not all). */
    private void clean() throws Exception {
        vm.cli("vm", "exec", "cp", "--", "find", "/work", "-mindepth", "1", "-delete");
    }

    private List<String> scpArgv(JsonNode cp, Path file) {
        return scpArgv(vm, cp, file);
    }

    /** scp of {@code file} to the VM's /work/scp with banger's key, the VM's known_hosts and host key pinned, as `vm ssh` connects. */
    static List<String> scpArgv(VmBench vm, JsonNode cp, Path file) {
        Path dir = Path.of(cp.at("/runtime/vm_dir").asText());
        return List.of("scp", "-q", "-i", vm.home.resolve("ssh/id_ed25519").toString(), "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + dir.resolve("known_hosts"), "-o", "StrictHostKeyChecking=yes",
                "-o", "HostKeyAlias=" + cp.at("/runtime/dns_name").asText(), "-o", "BatchMode=yes",
                file.toString(), "root@" + cp.at("/runtime/guest_ip").asText() + ":/work/scp");
    }

    private String status(String pid) throws Exception {
        return vm.cliOut("vm", "exec", "cp", "--", "cat", "/proc/" + pid + "/status");
    }

    /** The agent's VmRSS, about every second while {@code copying}; the most seen goes to {@code most}. */
    private void sample(String pid, AtomicBoolean copying, AtomicLong most) {
        while (copying.get()) {
            try {
                long rss = ProcParsers.vmRssKib(status(pid));
                most.accumulateAndGet(rss, Math::max);
                Thread.sleep(1000);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    return;
                }
                // a sample lost to the load: the next one counts
            }
        }
    }

    /** {@code mib} MiB of random bytes: nothing for a transport to compress. */
    static Path randomFile(Path path) throws Exception {
        SplittableRandom random = new SplittableRandom(1);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(path)) {
            for (int i = 0; i < MIB; i++) {
                for (int j = 0; j < chunk.length; j += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[j + k] = (byte) (v >>> (8 * k));
                    }
                }
                out.write(chunk);
            }
        }
        return path;
    }

    private static String rate(double seconds) {
        return String.format("%.1f s, %.1f MB/s", seconds, MIB * 1048576.0 / seconds / 1e6);
    }

    private static String seconds(List<Long> nanos) {
        return String.join(", ", nanos.stream().map(n -> String.format("%.1f", n / 1e9)).toList());
    }
}
