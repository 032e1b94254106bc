package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Host directory mounts (virtiofs, QEMU 7.2's virtiofsd): a sequential read of a 256 MiB file through the mount in
 * the guest ({@code dd of=/dev/null bs=1M} after dropping the guest's page cache, timed by dd in the guest) against
 * plain OpenSSH {@code scp} of the same file into that VM (wall clock on the host), alternately in one run, with the
 * host's own read of the file for context (its page cache warm, as it is for both); and {@code find} over 10,000 small
 * files on the mount against the same tree on the guest's own disk (guest page cache dropped, timed in the guest).
 */
final class MountBench {
    private static final int RUNS = Integer.getInteger("bench.mountRuns", 3);
    private static final int MIB = 256;
    private static final int SMALL_FILES = 10_000;
    private static final Pattern DD = Pattern.compile("copied, ([0-9.]+) s");
    private static final String DROP = "sync; echo 3 > /proc/sys/vm/drop_caches; ";

    private final VmBench vm;
    private final List<String[]> rows;

    MountBench(VmBench vm, List<String[]> rows) {
        this.vm = vm;
        this.rows = rows;
    }

    void run() throws Exception {
        try {
            vm.importImage();
            // virtiofsd runs as the mount's user (nobody here: root's directory): it must pass through the home.
            Files.setPosixFilePermissions(vm.home, PosixFilePermissions.fromString("rwx--x--x"));
            Path share = Files.createDirectory(vm.home.resolve("share"));
            Files.setPosixFilePermissions(share, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path big = CopyBench.randomFile(share.resolve("big.bin")); // 256 MiB of random bytes
            Files.setPosixFilePermissions(big, PosixFilePermissions.fromString("rw-r--r--"));
            Path small = Files.createDirectory(share.resolve("small"));
            for (int d = 0; d < 100; d++) {
                Path dir = Files.createDirectory(small.resolve("d" + d));
                for (int f = 0; f < SMALL_FILES / 100; f++) {
                    Files.writeString(dir.resolve("f" + f), "x" + f + "\n");
                }
            }
            vm.cli("vm", "run", "--name", "mnt", "--mount", share + ":/mnt/share:ro", "--", "true");
            JsonNode mnt = vm.show("mnt");
            vm.cli("vm", "exec", "mnt", "--", "cp", "-a", "/mnt/share/small", "/root/small");
            List<String> scp = CopyBench.scpArgv(vm, mnt, big);
            Bench.run(vm.env, scp.toArray(String[]::new)); // warm-up: host key, ssh's first connection
            List<Double> mountRead = new ArrayList<>();
            List<Double> plain = new ArrayList<>();
            List<Double> host = new ArrayList<>();
            List<Double> findMount = new ArrayList<>();
            List<Double> findDisk = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                mountRead.add(dd(guest(DROP + "dd if=/mnt/share/big.bin of=/dev/null bs=1M 2>&1")));
                vm.cli("vm", "exec", "mnt", "--", "rm", "-f", "/work/scp");
                plain.add(Bench.time(vm.env, scp) / 1e9);
                host.add(dd(dev.banger.host.HostCommand.run(List.of("dd", "if=" + big, "of=/dev/null", "bs=1M"),
                        java.time.Duration.ofMinutes(2)).text()));
                findMount.add(find("/mnt/share/small"));
                findDisk.add(find("/root/small"));
            }
            double read = median(mountRead);
            double ssh = median(plain);
            rows.add(new String[] {"sequential read of " + MIB + " MiB through the mount in the guest, guest cache dropped (median of "
                    + RUNS + ")", rate(read), ""});
            rows.add(new String[] {"plain `scp` of the same file into the VM (median of " + RUNS + ")", rate(ssh), ""});
            rows.add(new String[] {"throughput ratio mount read / scp", String.format("%.2f", ssh / read), "target >= 2"});
            rows.add(new String[] {"the host's own read of the file (page cache warm, as for both above)", rate(median(host)), "context"});
            rows.add(new String[] {"`find` over " + SMALL_FILES + " small files on the mount, guest cache dropped (median of " + RUNS + ")",
                    String.format("%.2f s", median(findMount)), "report"});
            rows.add(new String[] {"the same `find` on the guest's own disk (its root, a qcow2 overlay)",
                    String.format("%.2f s", median(findDisk)), "compare"});
            rows.add(new String[] {"  all runs: mount read / scp / find on mount / find on disk (s)",
                    seconds(mountRead) + " / " + seconds(plain) + " / " + seconds(findMount) + " / " + seconds(findDisk), ""});
        } finally {
            vm.cleanUp();
        }
    }

    private String guest(String script) throws Exception {
        return vm.cliOut("vm", "exec", "mnt", "--", "sh", "-c", script);
    }

    /** Seconds a {@code find} over {@code dir} takes in the guest, its page cache dropped first, timed there. */
    private double find(String dir) throws Exception {
        String out = guest(DROP + "a=$(date +%s%N); n=$(find " + dir + " | wc -l); b=$(date +%s%N); echo \"$n $((b - a))\"").strip();
        String[] f = out.split(" ");
        if (Integer.parseInt(f[0]) < SMALL_FILES) {
            throw new IllegalStateException("find saw " + f[0] + " entries under " + dir);
        }
        return Long.parseLong(f[1]) / 1e9;
    }

    private static double dd(String output) {
        Matcher m = DD.matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("no dd summary in: " + output);
        }
        return Double.parseDouble(m.group(1));
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.get(s.size() / 2);
    }

    private static String rate(double seconds) {
        return String.format("%.2f s, %.1f MB/s", seconds, MIB * 1048576.0 / seconds / 1e6);
    }

    private static String seconds(List<Double> xs) {
        return String.join(", ", xs.stream().map(x -> String.format("%.2f", x)).toList());
    }
}
