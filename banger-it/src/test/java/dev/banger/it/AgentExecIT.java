package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm exec} (and {@code vm run}, which goes the same way) through the guest agent of a real QEMU
 * guest: argv intact, the command's exit status, stdin and output streamed, concurrency, a client that
 * dies, a guest that floods, and a guest without a network. The agent is reached over the VM's
 * virtio-serial port, so the last test takes the guest's network down and still runs commands.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class AgentExecIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private static final String VM = "ex";
    private NetnsHome ns;
    @TempDir
    Path tmp;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        // vm run goes through the agent: its output and status are the command's
        BangerHome.Result run = ns.banger(BOOT, "vm", "run", "--name", VM, "--", "sh", "-c", "cat /etc/hostname; exit 3");
        assertThat(run.exitCode()).as("%s", run).isEqualTo(3);
        assertThat(run.stdout()).isEqualTo(VM + "\n");
        assertThat(run.stderr()).doesNotContain("over SSH");
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    private BangerHome.Result exec(String... argv) {
        List<String> args = new ArrayList<>(List.of("vm", "exec", VM, "--"));
        args.addAll(List.of(argv));
        return ns.banger(CLI, args.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void everyArgumentArrivesIntactAndNoShellIsInvolved() {
        BangerHome.Result r = exec("sh", "-c", "printf '%s|' \"$0\" \"$1\"", "a b", "$(id)");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("a b|$(id)|");
    }

    @Test
    @Order(1)
    void theExitStatusIsTheCommands() {
        assertThat(exec("true").exitCode()).isZero();
        assertThat(exec("false").exitCode()).isEqualTo(1);
        assertThat(exec("sh", "-c", "exit 7").exitCode()).isEqualTo(7);
        BangerHome.Result missing = exec("no-such-command-here");
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.stderr()).as("the guest's message").contains("no-such-command-here").contains("No such file");
        assertThat(exec("sh", "-c", "kill -9 $$").exitCode()).as("killed by SIGKILL: 128+9").isEqualTo(137);
    }

    @Test
    @Order(1)
    void stdoutAndStderrStayApart() {
        BangerHome.Result r = exec("sh", "-c", "echo to-out; echo to-err >&2; echo more-out");
        assertThat(r.stdout()).isEqualTo("to-out\nmore-out\n");
        assertThat(r.stderr()).isEqualTo("to-err\n");
    }

    @Test
    @Order(1)
    void environmentDirectoryAndUserAreTheOnesAskedFor() {
        BangerHome.Result r = ns.banger(CLI, "vm", "exec", "-e", "GREETING=hello there", "-w", "/tmp", "-u", "nobody", VM, "--",
                "sh", "-c", "echo \"$GREETING|$(pwd)|$(id -un)\"");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("hello there|/tmp|nobody\n");
    }

    @Test
    @Order(1)
    void badRequestsAreRefusedWithWhatToDo() {
        BangerHome.Result relative = ns.banger(CLI, "vm", "exec", "-w", "tmp", VM, "--", "true");
        assertThat(relative.exitCode()).isNotZero();
        assertThat(relative.stderr()).contains("absolute path");
        BangerHome.Result badEnv = ns.banger(CLI, "vm", "exec", "-e", "1X=y", VM, "--", "true");
        assertThat(badEnv.stderr()).contains("not valid");
        BangerHome.Result noUser = ns.banger(CLI, "vm", "exec", "-u", "nosuchuser", VM, "--", "true");
        assertThat(noUser.exitCode()).isNotZero();
        assertThat(noUser.stderr()).contains("nosuchuser");
        BangerHome.Result noVm = ns.banger(CLI, "vm", "exec", "no-such-vm", "--", "true");
        assertThat(noVm.exitCode()).isNotZero();
        assertThat(noVm.stderr()).contains("no-such-vm");
        assertThat(exec("true").exitCode()).as("the daemon and the agent keep serving").isZero();
    }

    @Test
    @Order(1)
    void tenMebibytesOfStdinArriveIntact() throws Exception {
        byte[] data = new byte[10 << 20];
        new Random(42).nextBytes(data);
        Path input = tmp.resolve("stdin.bin");
        Files.write(input, data);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        Process p = cli(List.of("vm", "exec", "-i", VM, "--", "sha256sum"), input);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out).startsWith(expected + "  -");
    }

    @Test
    @Order(1)
    void sixteenConcurrentExecsEachGetTheirOwnAnswer() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<BangerHome.Result>> runs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = "call-" + i;
                runs.add(pool.submit(() -> exec("sh", "-c", "sleep 1; echo \"$0\"; echo \"$0\" >&2; exit 5", id)));
            }
            for (int i = 0; i < 16; i++) {
                BangerHome.Result r = runs.get(i).get(5, TimeUnit.MINUTES);
                assertThat(r.exitCode()).as("%s", r).isEqualTo(5);
                assertThat(r.stdout()).isEqualTo("call-" + i + "\n");
                assertThat(r.stderr()).isEqualTo("call-" + i + "\n");
            }
        }
    }

    @Test
    @Order(2)
    void killingTheClientLeavesNoProcessBehindInTheGuest() throws Exception {
        Process p = cli(List.of("vm", "exec", VM, "--", "sh", "-c", "echo started; exec sleep 4321"), null);
        byte[] first = p.getInputStream().readNBytes("started\n".length());
        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("started\n");
        assertThat(exec("pgrep", "-f", "sleep 4321").exitCode()).as("running while its client is").isZero();
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        // SIGHUP to its process group at once, SIGKILL after a grace of a few seconds
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> exec("pgrep", "-f", "sleep 4321").exitCode() == 1))
                .as("the command is gone once its client is").isTrue();
    }

    @Test
    @Order(2)
    void aGuestFloodingASlowReaderKeepsTheDaemonsMemoryBounded() throws Exception {
        long daemonPid = ns.home.daemons().getFirst().pid();
        long before = rssKib(daemonPid);
        Process p = cli(List.of("vm", "exec", VM, "--", "head", "-c", "1073741824", "/dev/zero"), null);
        InputStream out = p.getInputStream();
        long read = 0;
        long peak = before;
        byte[] buf = new byte[64 * 1024];
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < until) {
            int n = out.read(buf);
            assertThat(n).as("the flood is still flowing").isPositive();
            read += n;
            Thread.sleep(50); // ~1 MiB/s: far slower than the guest writes
            peak = Math.max(peak, rssKib(daemonPid));
        }
        assertThat(read).as("bytes read slowly").isPositive();
        // An unbounded buffer would hold what the guest wrote ahead of the reader (hundreds of MiB by now);
        // the channel's credit stops the guest instead.
        assertThat(peak - before).as("daemon RSS growth in KiB while the guest floods a slow reader").isLessThan(128 * 1024);
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> exec("pgrep", "-x", "head").exitCode() == 1))
                .as("the flooding command is gone with its client").isTrue();
    }

    @Test
    @Order(3)
    void vmSshJoinsTheWordsForTheGuestsShellAsOpenSshDoes() {
        BangerHome.Result r = ns.banger(CLI, "vm", "ssh", VM, "--", "uname -s; echo joined");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("Linux\njoined\n");
    }

    @Test
    @Order(4)
    void anImageWithoutTheAgentRunsTheCommandOverSshWithANotice() {
        SharedImage.importInto(ns.home, "no-agent");
        Path rootfs = ns.home.path().resolve("images/no-agent/rootfs.ext4");
        BangerHome.Result rm = ns.home.run(List.of("debugfs", "-w", "-R", "rm /opt/banger/agent/banger-agent.jar", rootfs.toString()),
                Duration.ofSeconds(30));
        assertThat(rm.exitCode()).as("%s", rm).isZero();
        BangerHome.Result r = ns.banger(Duration.ofMinutes(4), "vm", "run", "--rm", "--image", "no-agent", "--name", "plain", "--",
                "cat", "/etc/hostname");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("plain\n");
        assertThat(r.stderr()).contains("running the command over SSH");
    }

    @Test
    @Order(9)
    void execNeedsNoGuestNetwork() {
        assertThat(exec("ip", "link", "set", "eth0", "down").exitCode()).isZero();
        BangerHome.Result r = exec("sh", "-c", "cat /sys/class/net/eth0/operstate; cat /etc/hostname");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).isEqualTo("down\n" + VM + "\n");
    }

    /** bin/banger inside the namespace with {@code stdin} (null: /dev/null), its output to be read by the test. */
    private Process cli(List<String> args, Path stdin) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.netns, ns.home.repoDir().resolve("bin/banger").toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.from(stdin.toFile()));
        pb.environment().put("BANGER_HOME", ns.home.path().toString());
        return pb.start();
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }
}
