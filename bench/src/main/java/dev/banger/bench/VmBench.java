package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.core.ProcParsers;
import dev.banger.core.StatePaths;
import dev.banger.core.disk.DiskCommands;
import dev.banger.core.guest.SshCommand;
import dev.banger.core.vm.QemuCommand;
import dev.banger.host.guest.SshProbe;
import java.io.File;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The VM benchmarks. They run inside a network namespace that bench/run.sh creates (so the bridge, taps
 * and VMs never touch the host's network), with a daemon of their own in a temporary BANGER_HOME, on
 * the image in {@code bench.image} (default: the integration tests' image, banger-it/target/it-image).
 *
 * <ul>
 *   <li>{@link #overhead()}: {@code banger vm run -- true} against the same work done by hand, alternately:
 *       qemu-img overlay, mkfs.ext4 work disk, a tap on the bridge, QEMU with the very argv banger used
 *       (read from /proc) and the same config drive, SSH probed the same way, then {@code ssh ... true}.
 *       The hand run's QEMU-start-to-SSH time is the boot figure.</li>
 *   <li>{@link #fleet()}: 8 VMs started at once (total time), two more, then idle memory: QEMU RSS per VM
 *       and the daemon's RSS with 10 VMs running.</li>
 * </ul>
 */
final class VmBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    /** A pause before each timed command in a side-by-side series, so that neither pays for the other's leftovers. */
    private static final long SETTLE_MILLIS = 1_000;
    private static final Duration SSH_WAIT = Duration.ofMinutes(3);
    private static final String HAND_TAP = "bgrhand0";

    private final Path repo;
    private final List<String[]> rows;
    final Path home;
    final Map<String, String> env;

    VmBench(Path repo, List<String[]> rows) throws IOException {
        this.repo = repo;
        this.rows = rows;
        this.home = Files.createTempDirectory(Path.of("/tmp"), "bv").toRealPath();
        this.env = Map.of("BANGER_HOME", home.toString());
        // Cold boots are what these benchmarks time: no template may be made behind their back (the snapshot bench makes its own).
        Files.writeString(home.resolve("config.toml"), "[snapshots]\nauto_template = false\n");
    }

    void overhead() throws Exception {
        try {
            importImage();
            Template t = template();
            JsonNode tmpl = t.vm();
            List<String> argv = t.argv();

            bangerRun("warm-up");
            handRun(tmpl, argv, "warm-up");
            List<Long> banger = new ArrayList<>();
            List<Long> hand = new ArrayList<>();
            List<Long> boot = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                banger.add(bangerRun("run-" + i));
                long[] h = handRun(tmpl, argv, "hand-" + i);
                hand.add(h[0]);
                boot.add(h[1]);
            }
            double b = Bench.median(banger) / 1e9;
            double h = Bench.median(hand) / 1e9;
            rows.add(new String[] {"`banger vm run -- true`, image present (median of " + RUNS + ")", String.format("%.2f s", b), ""});
            rows.add(new String[] {"same work by hand: overlay, work disk, tap, QEMU, SSH probe, ssh true (median of " + RUNS + ")",
                    String.format("%.2f s", h), ""});
            rows.add(new String[] {"overhead ratio banger / by hand", String.format("%.2f", b / h), "target <= 1.0 (issue 14)"});
            rows.add(new String[] {"QEMU start to SSH answering, fast init, TCG (median of " + RUNS + "; min-max)",
                    String.format("%.2f s (%.2f-%.2f)", Bench.median(boot) / 1e9, min(boot) / 1e9, max(boot) / 1e9), "target <= 5 s"});
            rows.add(new String[] {"  all runs, banger", seconds(banger), ""});
            rows.add(new String[] {"  all runs, by hand", seconds(hand), ""});
        } finally {
            cleanUp();
        }
    }

    void fleet() throws Exception {
        try {
            importImage();
            for (int i = 0; i < 10; i++) {
                cli("vm", "create", "--name", "fleet-" + i);
            }
            long t0 = System.nanoTime();
            List<Process> starts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                starts.add(start(List.of(banger(), "vm", "start", "fleet-" + i)));
            }
            for (Process p : starts) {
                if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new IllegalStateException("vm start failed: " + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            double eight = (System.nanoTime() - t0) / 1e9;
            cli("vm", "start", "fleet-8");
            cli("vm", "start", "fleet-9");
            Thread.sleep(20_000); // let the guests settle to idle
            List<Long> rss = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long pid = qemuPid(show("fleet-" + i).at("/runtime/api_sock_path").asText())
                        .orElseThrow(() -> new IllegalStateException("a fleet VM has no QEMU"));
                rss.add(rssKib(pid));
            }
            long daemonPid = Json.MAPPER.readTree(cliOut("daemon", "status", "--json")).get("pid").asLong();
            rows.add(new String[] {"8 VMs started at once, all SSH-ready", String.format("%.1f s", eight), "report"});
            rows.add(new String[] {"idle QEMU RSS per VM, 10 running (median; min-max)",
                    String.format("%.0f MiB (%d-%d)", Bench.median(rss) / 1024, min(rss) / 1024, max(rss) / 1024), "report"});
            rows.add(new String[] {"bangerd RSS with 10 VMs running", (rssKib(daemonPid) / 1024) + " MiB", "report"});
        } finally {
            cleanUp();
        }
    }

    /**
     * {@code vm ports} on a VM with 20 listeners (busybox httpd on 20 ports; sshd besides), median of 5
     * after the agent first answered; the agent's RSS in the guest; and the time from the VM's start
     * returning (SSH up) to the agent's first answer.
     */
    void ports() throws Exception {
        try {
            importImage();
            cli("vm", "create", "--name", "ports");
            cli("vm", "start", "ports");
            long sshUp = System.nanoTime();
            long firstAnswer = -1;
            while (System.nanoTime() - sshUp < TimeUnit.MINUTES.toNanos(3)) {
                Process p = start(List.of(banger(), "vm", "ports", "ports", "--json"));
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) {
                    firstAnswer = System.nanoTime() - sshUp;
                    break;
                }
                Thread.sleep(100);
            }
            if (firstAnswer < 0) {
                throw new IllegalStateException("the agent never answered");
            }
            StringBuilder servers = new StringBuilder();
            for (int port = 8001; port <= 8020; port++) {
                servers.append("busybox httpd -p ").append(port).append(" -h /tmp && ");
            }
            cli("vm", "exec", "ports", "--", "sh", "-c", servers + "true");
            List<Long> times = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                long t0 = System.nanoTime();
                String out = cliOut("vm", "ports", "ports", "--json");
                long t = System.nanoTime() - t0;
                if (!out.contains("8020")) {
                    throw new IllegalStateException("vm ports did not list the 20 servers: " + out);
                }
                if (i >= 2) {
                    times.add(t);
                }
            }
            String rss = cliOut("vm", "exec", "ports", "--", "sh", "-c",
                    "grep VmRSS /proc/$(cat /run/banger/agent.pid)/status 2>/dev/null || grep VmRSS /proc/$(pgrep -f banger-agent.jar | head -1)/status");
            rows.add(new String[] {"`vm ports` with 20 listeners (+ sshd), TCG (median of 5)", Bench.fmt(Bench.median(times) / 1e6) + " ms",
                    "target <= 2 s"});
            rows.add(new String[] {"guest agent RSS in the guest", rss.strip().replaceAll("\\s+", " "), "target <= 40 MiB"});
            rows.add(new String[] {"SSH up to the agent's first answer", String.format("%.1f s", firstAnswer / 1e9), "report"});
        } finally {
            cleanUp();
        }
    }

    /**
     * The guest agent (issue 14): its first answer after QEMU starts against SSH's, in the same hand-made
     * boots; {@code vm exec -- true} against plain {@code ssh root@IP true} on a booted VM, alternated; 16
     * {@code vm exec} at once; the agent's idle RSS in the guest.
     */
    void agent() throws Exception {
        try {
            importImage();
            Template t = template();
            JsonNode tmpl = t.vm();
            List<String> argv = t.argv();
            handRun(tmpl, argv, "warm-up", true);
            // Alternate boots: one where only the agent is asked, one where only sshd is probed. In one boot
            // each would slow the other down: every SSH probe that connects costs the guest an sshd process
            // (re-executed per connection, ~0.3 s of CPU under TCG) while the agent's JVM is still starting.
            List<Long> agentFirst = new ArrayList<>();
            List<Long> sshFirst = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                agentFirst.add(handRun(tmpl, argv, "agent-" + i, true)[2]);
                sshFirst.add(handRun(tmpl, argv, "ssh-" + i)[1]);
            }
            rows.add(new String[] {"QEMU start to the agent's first answer, TCG (median of " + RUNS + "; min-max)",
                    String.format("%.2f s (%.2f-%.2f)", Bench.median(agentFirst) / 1e9, min(agentFirst) / 1e9, max(agentFirst) / 1e9),
                    "target <= 3.5 s"});
            rows.add(new String[] {"QEMU start to SSH answering, boots alternated with those (median of " + RUNS + ")",
                    String.format("%.2f s", Bench.median(sshFirst) / 1e9), "baseline"});

            cli("vm", "start", "tmpl");
            tmpl = show("tmpl");
            List<String> ssh = SshCommand.argv(home.resolve("ssh/id_ed25519"), StatePaths.VmFile.KNOWN_HOSTS.in(Path.of(tmpl.at("/runtime/vm_dir").asText())),
                    tmpl.at("/runtime/dns_name").asText(), tmpl.at("/runtime/guest_ip").asText(), false, List.of("true"));
            List<String> exec = List.of(banger(), "vm", "exec", "tmpl", "--", "true");
            Thread.sleep(5_000); // the end of the guest's boot
            Bench.time(env, exec);
            Bench.time(Map.of(), ssh);
            // Two ways, both side by side. Alternated, each after a pause: what one command leaves behind in the
            // 1-vCPU guest (sshd's session teardown) is not charged to the next, but every call starts on idle
            // CPUs (this host is itself a VM whose idle vCPUs are slow to wake: even `vm list` takes ~40% longer
            // after 3 s idle). In series: 2N of one, then 2N of the other, back to back.
            List<Long> execTimes = new ArrayList<>();
            List<Long> sshTimes = new ArrayList<>();
            for (int i = 0; i < 2 * RUNS; i++) {
                Thread.sleep(SETTLE_MILLIS);
                execTimes.add(Bench.time(env, exec));
                Thread.sleep(SETTLE_MILLIS);
                sshTimes.add(Bench.time(Map.of(), ssh));
            }
            double e = Bench.median(execTimes) / 1e6;
            double o = Bench.median(sshTimes) / 1e6;
            rows.add(new String[] {"`vm exec tmpl -- true`, booted VM, alternated with ssh, 1 s apart (median of " + 2 * RUNS + ")", Bench.fmt(e) + " ms", ""});
            rows.add(new String[] {"plain `ssh -i KEY root@IP true`, same VM, alternated (median of " + 2 * RUNS + ")", Bench.fmt(o) + " ms", "baseline"});
            rows.add(new String[] {"ratio vm exec / ssh, alternated", String.format("%.2f", e / o), "target <= 0.25"});
            List<Long> execSeries = new ArrayList<>();
            List<Long> sshSeries = new ArrayList<>();
            for (int i = 0; i < 2 * RUNS; i++) {
                execSeries.add(Bench.time(env, exec));
            }
            Thread.sleep(SETTLE_MILLIS);
            for (int i = 0; i < 2 * RUNS; i++) {
                sshSeries.add(Bench.time(Map.of(), ssh));
            }
            double es = Bench.median(execSeries) / 1e6;
            double os = Bench.median(sshSeries) / 1e6;
            rows.add(new String[] {"`vm exec tmpl -- true`, " + 2 * RUNS + " in a row (median)", Bench.fmt(es) + " ms", ""});
            rows.add(new String[] {"plain `ssh ... true`, " + 2 * RUNS + " in a row (median)", Bench.fmt(os) + " ms", "baseline"});
            rows.add(new String[] {"ratio vm exec / ssh, in series", String.format("%.2f", es / os), "target <= 0.25"});

            long t0 = System.nanoTime();
            List<Process> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(start(List.of(banger(), "vm", "exec", "tmpl", "--", "sh", "-c", "echo \"$0\"", "call-" + i)));
            }
            int correct = 0;
            for (int i = 0; i < 16; i++) {
                Process p = calls.get(i);
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0 && out.equals("call-" + i + "\n")) {
                    correct++;
                }
            }
            rows.add(new String[] {"16 `vm exec` at once on one VM: correct answers, wall time", correct + "/16, "
                    + String.format("%.2f s", (System.nanoTime() - t0) / 1e9), "target 16/16"});

            Thread.sleep(10_000); // idle
            String rss = cliOut("vm", "exec", "tmpl", "--", "sh", "-c", "grep VmRSS /proc/$(pgrep -x java)/status");
            rows.add(new String[] {"guest agent RSS, idle", rss.strip().replaceAll("\\s+", " "), "target <= 40 MiB"});
        } finally {
            cleanUp();
        }
    }

    /** Connects to the agent's socket as soon as QEMU made it; the time from {@code launched} to its first answer. */
    private static long firstAgentAnswer(Path socket, long launched, long deadline) {
        while (System.nanoTime() < deadline) {
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                // One HELLO, waited for: it sits in QEMU's buffer until the agent opens its port and reads it.
                Channel ch = Channel.host(Channels.newInputStream(c),
                        Channels.newOutputStream(c),
                        ChannelOptions.defaults("bench").withHandshakeTimeout(Duration.ofNanos(deadline - System.nanoTime())), null);
                ch.connect();
                try (var s = ch.open("{\"op\":\"health\"}".getBytes(StandardCharsets.UTF_8))) {
                    s.input().readAllBytes();
                }
                long t = System.nanoTime() - launched;
                ch.close();
                return t;
            } catch (IOException | RuntimeException e) {
                sleepQuietly(10); // QEMU has not made the socket yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        throw new IllegalStateException("the agent never answered on " + socket);
    }

    /** A VM banger made and booted once, now stopped, and the QEMU argv it ran with. */
    private record Template(JsonNode vm, List<String> argv) {
    }

    /** The template whose QEMU argv, config drive and pinned host key the hand runs reuse (its address and MAC free). */
    private Template template() throws Exception {
        cli("vm", "create", "--name", "tmpl");
        cli("vm", "start", "tmpl");
        JsonNode vm = show("tmpl");
        List<String> argv = qemuArgv(vm.at("/runtime/api_sock_path").asText())
                .orElseThrow(() -> new IllegalStateException("no QEMU found for the template VM"));
        cli("vm", "stop", "tmpl");
        return new Template(vm, argv);
    }

    /** One {@code vm run}, timed from the command's start to its exit; the VM is deleted afterwards, untimed. */
    long bangerRun(String name) throws Exception {
        long t = Bench.time(env, List.of(banger(), "vm", "run", "--name", name, "--", "true"));
        cli("vm", "delete", "--force", name);
        return t;
    }

    /**
     * The same work by hand, timed end to end; returns {total, QEMU start to SSH answering}. The template
     * is stopped, so its address and MAC are free; its config drive carries them and its host key.
     */
    private long[] handRun(JsonNode tmpl, List<String> tmplArgv, String label) throws Exception {
        return handRun(tmpl, tmplArgv, label, false);
    }

    /**
     * {@link #handRun(JsonNode, List, String)}; with {@code agent}, instead: the same boot, but only the time
     * from QEMU's start to the guest agent's first answer on the VM's virtio-serial port is measured (the
     * third element; nothing probes sshd then), and the VM is stopped at once.
     */
    private long[] handRun(JsonNode tmpl, List<String> tmplArgv, String label, boolean agent) throws Exception {
        Path tmplDir = Path.of(tmpl.at("/runtime/vm_dir").asText());
        Path dir = Files.createDirectories(home.resolve("hand").resolve(label));
        Path base = home.resolve("images/debian-bookworm/rootfs.ext4");
        String ip = tmpl.at("/runtime/guest_ip").asText();
        List<String> argv = handArgv(tmplArgv, tmplDir, dir);
        Process qemu = null;
        long t0 = System.nanoTime();
        try {
            Bench.run(Map.of(), DiskCommands.overlay(base, dir.resolve("root.qcow2"), 0).toArray(String[]::new));
            Bench.run(Map.of(), DiskCommands.workDisk(dir.resolve("work.img"), tmpl.at("/spec/work_disk_mib").asLong()).toArray(String[]::new));
            Files.copy(tmplDir.resolve("config.img"), dir.resolve("config.img"));
            Bench.run(Map.of(), "ip", "tuntap", "add", "dev", HAND_TAP, "mode", "tap");
            Bench.run(Map.of(), "ip", "link", "set", "dev", HAND_TAP, "master", "banger0", "up");
            long launched = System.nanoTime();
            qemu = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            long deadline = launched + SSH_WAIT.toNanos();
            if (agent) {
                return new long[] {-1, -1, firstAgentAnswer(StatePaths.VmFile.AGENT_SOCKET.in(dir), launched, deadline)};
            }
            while (!SshProbe.answers(ip, Duration.ofMillis(250), Duration.ofSeconds(5))) {
                if (!qemu.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("hand-run VM never answered SSH; see " + dir);
                }
                Thread.sleep(50);
            }
            long sshReady = System.nanoTime() - launched;
            List<String> ssh = SshCommand.argv(home.resolve("ssh/id_ed25519"), StatePaths.VmFile.KNOWN_HOSTS.in(tmplDir),
                    tmpl.at("/runtime/dns_name").asText(), ip, false, List.of("true"));
            Bench.run(Map.of(), ssh.toArray(String[]::new));
            long total = System.nanoTime() - t0;
            return new long[] {total, sshReady, -1};
        } finally {
            if (qemu != null) {
                qemu.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            new ProcessBuilder("ip", "link", "del", HAND_TAP).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
            deleteTree(dir);
        }
    }

    /** The template's argv with its files, name and tap swapped for the hand run's. */
    private static List<String> handArgv(List<String> tmplArgv, Path tmplDir, Path dir) {
        List<String> out = new ArrayList<>();
        for (String a : tmplArgv) {
            String v = a.replace(tmplDir.toString(), dir.toString()).replace(QemuCommand.NAME_PREFIX + "tmpl", "hand");
            if (v.startsWith("tap,id=n0,ifname=")) {
                v = v.replaceFirst("ifname=[^,]+", "ifname=" + HAND_TAP);
            }
            out.add(v);
        }
        return out;
    }

    void importImage() throws Exception {
        Path image = Path.of(System.getProperty("bench.image", repo.resolve("banger-it/target/it-image").toString()));
        if (!Files.isRegularFile(image.resolve("manifest.json"))) {
            throw new IllegalStateException("no image at " + image + ": run the integration tests once (they build it), "
                    + "or pass -Dbench.image=DIR with an image banger built (H/images/NAME)");
        }
        // The ELF vmlinux: what QEMU boots from a built image (through its PVH note), as a user's default image.
        cli("image", "import", "--name", "debian-bookworm", "--kernel", image.resolve("vmlinux").toString(),
                "--initrd", image.resolve("initrd.img").toString(), "--rootfs", image.resolve("rootfs.ext4").toString());
    }

    JsonNode show(String name) throws Exception {
        return Json.MAPPER.readTree(cliOut("vm", "show", name, "--json"));
    }

    String banger() {
        return repo.resolve("bin/banger").toString();
    }

    void cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(banger()));
        command.addAll(List.of(args));
        Bench.run(env, command.toArray(String[]::new));
    }

    String cliOut(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(banger()));
        command.addAll(List.of(args));
        Process p = start(command);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    Process start(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Everything the benchmark made: VMs, bridge, daemon, home. Best effort, each step on its own. */
    void cleanUp() {
        try {
            JsonNode vms = Json.MAPPER.readTree(cliOut("vm", "list", "--json")).get("vms");
            for (JsonNode vm : vms) {
                cli("vm", "delete", "--force", vm.at("/spec/name").asText());
            }
            cli("daemon", "teardown");
        } catch (Exception e) {
            System.err.println("bench: cleaning up VMs: " + e.getMessage());
        }
        try {
            cli("daemon", "stop");
        } catch (Exception e) {
            System.err.println("bench: stopping the daemon: " + e.getMessage());
        }
        deleteTree(home);
    }

    private static Optional<Long> qemuPid(String qmpSocket) throws IOException {
        return qemuArgvAndPid(qmpSocket).map(Map.Entry::getKey);
    }

    private static Optional<List<String>> qemuArgv(String qmpSocket) throws IOException {
        return qemuArgvAndPid(qmpSocket).map(Map.Entry::getValue);
    }

    private static Optional<Map.Entry<Long, List<String>>> qemuArgvAndPid(String qmpSocket) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    List<String> argv = ProcParsers.cmdline(Files.readAllBytes(p.resolve("cmdline")));
                    if (QemuCommand.isQemuWithQmpSocket(argv, Path.of(qmpSocket))) {
                        return Optional.of(Map.entry(Long.parseLong(p.getFileName().toString()), argv));
                    }
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        }
        return Optional.empty();
    }

    private static long rssKib(long pid) throws IOException {
        return ProcParsers.vmRssKib(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    }

    private static String seconds(List<Long> nanos) {
        return String.join(", ", nanos.stream().map(n -> String.format("%.2f", n / 1e9)).toList());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long min(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).min().orElseThrow();
    }

    private static long max(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("bench: cannot remove " + dir + ": " + e.getMessage());
        }
    }
}
