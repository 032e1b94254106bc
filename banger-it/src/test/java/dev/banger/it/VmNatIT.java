package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Outbound NAT end to end, with a real VM. The daemon's namespace gets an uplink (a veth pair) into a
 * second namespace, "outside", which holds a TCP server that answers with the address it sees and has
 * no route back to the VMs' subnet. With {@code nat = true} a guest reaches it and is seen as the
 * uplink's address (masqueraded); with NAT off (the default) it cannot reach it at all, and banger's
 * nftables table is gone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class VmNatIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final String UPLINK = "10.99.0.1";
    private static final String OUTSIDE = "10.99.0.2";
    private NetnsHome ns;
    private String outside;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage("[network]\nnat = true\n");
        outside = ns.netns + "out";
        sh("ip", "netns", "add", outside);
        sh("ip", "-n", ns.netns, "link", "add", "bgrup0", "type", "veth", "peer", "name", "out0", "netns", outside);
        sh("ip", "-n", ns.netns, "addr", "add", UPLINK + "/30", "dev", "bgrup0");
        sh("ip", "-n", ns.netns, "link", "set", "bgrup0", "up");
        sh("ip", "-n", ns.netns, "route", "add", "default", "via", OUTSIDE);
        sh("ip", "-n", outside, "addr", "add", OUTSIDE + "/30", "dev", "out0");
        sh("ip", "-n", outside, "link", "set", "out0", "up");
        sh("ip", "-n", outside, "link", "set", "lo", "up");
        // Answers each connection with the peer address it sees (socat sets SOCAT_PEERADDR; no user data).
        ProcessBuilder server = new ProcessBuilder("ip", "netns", "exec", outside, "setsid", "socat",
                "TCP-LISTEN:8080,bind=" + OUTSIDE + ",reuseaddr,fork", "SYSTEM:echo seen-as $SOCAT_PEERADDR")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            server.start();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @AfterAll
    void cleanUp() {
        try {
            ns.close();
        } finally {
            if (outside != null) {
                for (String pid : ns.home.run(List.of("ip", "netns", "pids", outside), Duration.ofSeconds(10)).stdout().split("\\s+")) {
                    if (!pid.isBlank()) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                ns.home.run(List.of("ip", "netns", "del", outside), Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void aGuestReachesTheOutsideMasqueradedOnlyWhileNatIsOn() {
        BangerHome.Result on = ns.banger(BOOT, "vm", "run", "--name", "natty", "--", "timeout", "20", "bash", "-c",
                "exec 3<>/dev/tcp/" + OUTSIDE + "/8080 && cat <&3");
        assertThat(on.exitCode()).as("%s", on).isZero();
        assertThat(on.stdout().strip()).isEqualTo("seen-as " + UPLINK);
        assertThat(ns.inNetns("nft", "list", "tables").stdout()).contains("ip banger");

        ns.ok(Duration.ofMinutes(2), "vm", "stop", "natty");
        ns.restartDaemon("[network]\nnat = false\n");
        ns.ok(BOOT, "vm", "start", "natty");
        BangerHome.Result off = ns.banger(Duration.ofMinutes(2), "vm", "exec", "natty", "--", "timeout", "5", "bash", "-c",
                "exec 3<>/dev/tcp/" + OUTSIDE + "/8080 && cat <&3");
        assertThat(off.exitCode()).as("%s", off).isNotZero();
        assertThat(off.stdout()).doesNotContain("seen-as");
        // NAT's table is gone; the guard (GuestIsolationIT) is not NAT's and stays.
        assertThat(ns.inNetns("nft", "list", "tables").stdout()).doesNotContain("table ip banger").contains("table inet banger_guard");
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", "natty");
    }

    private void sh(String... argv) {
        BangerHome.Result r = ns.home.run(List.of(argv), Duration.ofSeconds(30));
        assertThat(r.exitCode()).as("%s", r).isZero();
    }
}
