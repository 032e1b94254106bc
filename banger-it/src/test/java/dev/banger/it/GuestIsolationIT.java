package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * What a guest may reach on the host (issue 12, item 7), with two real VMs. The daemon's namespace is the
 * "host": a TCP service listens on every one of its addresses (the gateway, a second IPv4 address, an
 * IPv6 address on the bridge). A guest must not reach it on any of them, while DNS on the gateway, the
 * host's SSH and agent connections to the guest, and guest-to-guest traffic keep working. Removing the
 * guard table by hand (as a firewall reload would) lets the guest in, which shows the refusals are the
 * guard's; a daemon killed with -9 and started again puts it back; teardown removes it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class GuestIsolationIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(1);
    private static final String BRIDGE = "banger0";
    private static final String GATEWAY = "172.29.0.1"; // the default subnet's
    private static final String HOST_OTHER = "10.77.0.1";
    private static final String HOST_V6 = "fd00:b::1";
    private static final String GUEST_V6 = "fd00:b::2";
    private static final int PORT = 7777;
    private NetnsHome ns;
    private Process hostService;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        sh("ip", "-n", ns.netns, "addr", "add", HOST_OTHER + "/32", "dev", "lo");
        try {
            hostService = new ProcessBuilder("ip", "netns", "exec", ns.netns, "socat",
                    "TCP6-LISTEN:" + PORT + ",ipv6only=0,reuseaddr,fork", "SYSTEM:echo host-service")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        ns.ok(BOOT, "vm", "run", "--name", "iso-a", "--", "true");
        ns.ok(BOOT, "vm", "run", "--name", "iso-b", "--", "true");
        // IPv6 between the host and guest a (banger itself configures none): a global address on each side.
        sh("ip", "-n", ns.netns, "addr", "add", HOST_V6 + "/64", "dev", BRIDGE, "nodad");
        ns.ok(CLI, "vm", "exec", "iso-a", "--", "sh", "-c",
                "ip -6 addr add " + GUEST_V6 + "/64 dev $(ip -o -4 route show default | awk '{print $5}') nodad");
        List<String> seen = new ArrayList<>();
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> {
            BangerHome.Result r = ns.inNetns("socat", "-T", "3", "-u", "TCP:" + GATEWAY + ":" + PORT + ",connect-timeout=2", "STDOUT");
            seen.add(r.toString());
            return r.stdout().contains("host-service");
        })).as("the host's own service answers inside the host: %s", seen).isTrue();
    }

    @AfterAll
    void cleanUp() {
        if (hostService != null) {
            hostService.destroyForcibly();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    @Order(1)
    void aGuestOpensNoConnectionToAnyHostAddressButDnsSshTheAgentAndItsPeerWork() {
        assertThat(guard()).contains("table inet banger_guard").contains("hook input")
                .contains("iifname \"" + BRIDGE + "\" ct state established,related accept")
                .contains("iifname \"" + BRIDGE + "\" ip daddr " + GATEWAY + " udp dport 53 accept")
                .contains("iifname \"" + BRIDGE + "\" drop");
        for (String target : List.of(GATEWAY, HOST_OTHER, HOST_V6)) {
            BangerHome.Result r = connect("iso-a", target, PORT);
            assertThat(r.stdout()).as("guest to host %s: %s", target, r).doesNotContain("host-service");
            assertThat(r.exitCode()).as("guest to host %s: %s", target, r).isNotZero();
        }
        // DNS on the gateway still answers; the name and guest-to-guest traffic are checked in one go.
        String peerIp = ns.home.ok("vm", "show", "iso-b", "--json").json().at("/runtime/guest_ip").asText();
        assertThat(ns.ok(CLI, "vm", "ssh", "iso-a", "--", "getent", "hosts", "iso-b.vm").stdout()).contains(peerIp);
        BangerHome.Result peer = connect("iso-a", "iso-b.vm", 22);
        assertThat(peer.stdout()).as("%s", peer).startsWith("SSH-2.0");
        // The host's own connections to a guest: ssh (every vm ssh above), the agent over TCP, IPv6.
        List<BangerHome.Result> tries = new ArrayList<>();
        assertThat(BangerHome.await(Duration.ofSeconds(120), () -> {
            BangerHome.Result r = ns.banger(CLI, "vm", "ports", "iso-a", "--json");
            tries.add(r);
            return r.exitCode() == 0 && r.stdout().contains("iso-a.vm:22");
        })).as("the agent answers the host: %s", tries.isEmpty() ? "" : tries.getLast()).isTrue();
        BangerHome.Result v6 = ns.inNetns("socat", "-T", "3", "-u", "TCP:[" + GUEST_V6 + "]:22,connect-timeout=5", "STDOUT");
        assertThat(v6.stdout()).as("host to guest over IPv6: %s", v6).startsWith("SSH-2.0");
    }

    @Test
    @Order(2)
    void withoutTheGuardTheGuestGetsInAndADaemonKilledAndStartedAgainPutsItBack() {
        sh("ip", "netns", "exec", ns.netns, "nft", "delete", "table", "inet", "banger_guard"); // as a firewall reload would
        for (String target : List.of(GATEWAY, HOST_OTHER, HOST_V6)) {
            BangerHome.Result open = connect("iso-a", target, PORT);
            assertThat(open.stdout()).as("unguarded, the host's service answers the guest on %s: %s", target, open)
                    .contains("host-service");
        }

        ns.killDaemon();
        ns.restartDaemon(Map.of()); // the reconcile keeps the running VMs and sets the network up again
        assertThat(guard()).contains("table inet banger_guard").contains("drop");
        BangerHome.Result closed = connect("iso-a", GATEWAY, PORT);
        assertThat(closed.stdout()).as("%s", closed).doesNotContain("host-service");
        assertThat(closed.exitCode()).isNotZero();
        assertThat(ns.ok(CLI, "vm", "ssh", "iso-a", "--", "getent", "hosts", "iso-b.vm").stdout()).isNotBlank();
    }

    @Test
    @Order(3)
    void teardownRemovesTheGuard() {
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", "iso-a", "iso-b");
        ns.ok(Duration.ofMinutes(1), "daemon", "teardown");
        BangerHome.Result tables = ns.inNetns("nft", "list", "tables");
        assertThat(tables.exitCode()).isZero();
        assertThat(tables.stdout()).doesNotContain("banger_guard").doesNotContain("banger");
        assertThat(ns.inNetns("ip", "link", "show", BRIDGE).exitCode()).as("bridge gone").isNotZero();
    }

    /** The guard table as nft lists it, or what nft said when it is not there. */
    private String guard() {
        BangerHome.Result r = ns.inNetns("nft", "list", "table", "inet", "banger_guard");
        return r.exitCode() == 0 ? r.stdout() : r.toString();
    }

    /**
     * From inside {@code vm}, opens a TCP connection and prints the server's first line. A dropped SYN
     * would make connect wait for minutes, so {@code timeout} ends it (status 124); the address is passed
     * as an argument, never spliced into the script.
     */
    private BangerHome.Result connect(String vm, String address, int port) {
        return ns.banger(CLI, "vm", "exec", vm, "--", "timeout", "8", "bash", "-c",
                "exec 3<>/dev/tcp/\"$1\"/" + port + " && timeout 3 head -n 1 <&3", "connect", address);
    }

    private void sh(String... argv) {
        BangerHome.Result r = ns.home.run(List.of(argv), Duration.ofSeconds(30));
        assertThat(r.exitCode()).as("%s", r).isZero();
    }
}
