package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * Published ports with one real QEMU VM in a test-made network namespace (every client runs in that namespace, where
 * the daemon runs): TCP to a busybox httpd on the guest's loopback and on all its addresses, UDP echo, conflicts refused
 * with the holder named, publishing back after kill -9 of bangerd and the next command, automatic publishing of a new
 * guest listener and its withdrawal, and nothing left listening after delete.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class PublishIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage("[snapshots]\nauto_template = false\n[network]\nauto_publish = true\n");
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    private String exec(String vm, String... command) {
        List<String> args = new ArrayList<>(List.of("vm", "exec", vm, "--"));
        args.addAll(List.of(command));
        return ns.ok(CLI, args.toArray(String[]::new)).stdout().strip();
    }

    /** An HTTP GET from the namespace's host side; the body, or the failure. */
    private BangerHome.Result get(String url) {
        return ns.inNetns("curl", "-s", "-S", "-m", "10", url);
    }

    private String udp(int port, String message) {
        return ns.inNetns("sh", "-c", "printf '" + message + "' | socat -t3 - UDP:127.0.0.1:" + port).stdout();
    }

    private boolean listening(int port) {
        return ns.inNetns("ss", "-H", "-l", "-n", "-t", "-u", "sport", "= :" + port).stdout().strip().length() > 0;
    }

    @Test
    @Order(1)
    void aPublishedPortReachesTheGuestOnItsLoopbackAndItsAddressOverTcpAndUdp() {
        ns.ok(BOOT, "vm", "run", "--cold", "--name", "web", "-p", "18080:8000", "-p", "18081:8001", "-p", "15353:5353/udp", "--", "true");
        exec("web", "sh", "-c", "mkdir -p /srv/www && echo hello-from-web > /srv/www/index.html"
                + " && busybox httpd -p 127.0.0.1:8000 -h /srv/www && busybox httpd -p 0.0.0.0:8001 -h /srv/www");
        ns.ok(CLI, "vm", "exec", "--detach", "web", "--", "perl", "-MIO::Socket::INET", "-e",
                "my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 5353, Proto => 'udp') or die $!;"
                        + " while (1) { my $peer = $s->recv(my $b, 65535); $s->send(\"echo:$b\", 0, $peer); }");

        assertThat(get("http://127.0.0.1:18080/index.html").stdout()).as("the guest's loopback-only httpd").contains("hello-from-web");
        assertThat(get("http://127.0.0.1:18081/index.html").stdout()).as("the guest's httpd on all addresses").contains("hello-from-web");
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> udp(15353, "ping").contains("echo:ping"))).as("UDP echo").isTrue();

        JsonNode shown = ns.ok(CLI, "vm", "show", "web", "--json").json();
        List<String> specs = new ArrayList<>();
        shown.get("publishes").forEach(p -> specs.add(p.get("host_ip").asText() + ":" + p.get("host_port").asInt() + ":"
                + p.get("guest_port").asInt() + "/" + p.get("protocol").asText()));
        assertThat(specs).contains("127.0.0.1:18080:8000/tcp", "127.0.0.1:18081:8001/tcp", "127.0.0.1:15353:5353/udp");
    }

    @Test
    @Order(2)
    void aTakenHostPortIsRefusedWithItsHolderAndNothingIsHalfMade() {
        BangerHome.Result twice = ns.banger(CLI, "vm", "create", "--name", "second", "-p", "18080:80");
        assertThat(twice.exitCode()).isNotZero();
        assertThat(twice.stderr()).contains("18080/tcp").contains("published by VM 'web'");
        assertThat(ns.banger(CLI, "vm", "show", "second").exitCode()).as("no half-made VM").isNotZero();

        // A foreign process holds a port: refused, naming it.
        ns.inNetns("sh", "-c", "socat TCP-LISTEN:18090,bind=127.0.0.1,fork,reuseaddr /dev/null >/dev/null 2>&1 & sleep 0.5");
        try {
            BangerHome.Result held = ns.banger(CLI, "vm", "publish", "web", "18090:8000");
            assertThat(held.exitCode()).isNotZero();
            assertThat(held.stderr()).contains("18090/tcp is in use by pid").contains("socat");
        } finally {
            ns.inNetns("pkill", "-f", "TCP-LISTEN:18090");
        }
        JsonNode shown = ns.ok(CLI, "vm", "show", "web", "--json").json();
        shown.get("publishes").forEach(p -> assertThat(p.get("host_port").asInt()).isNotEqualTo(18090));

        BangerHome.Result bad = ns.banger(CLI, "vm", "publish", "web", "80:99999");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.stderr()).contains("not 1-65535");
    }

    @Test
    @Order(3)
    void publishAndUnpublishAtRunTimeOnAPrivilegedPort() {
        ns.ok(CLI, "vm", "publish", "web", "81:8001");
        assertThat(get("http://127.0.0.1:81/index.html").stdout()).contains("hello-from-web");
        ns.ok(CLI, "vm", "unpublish", "web", "81");
        assertThat(get("http://127.0.0.1:81/index.html").exitCode()).as("unpublished: refused").isNotZero();
        assertThat(listening(81)).isFalse();
    }

    @Test
    @Order(4)
    void publishingIsBackAfterKillMinus9OfTheDaemonAndTheNextCommand() {
        ns.killDaemon();
        assertThat(get("http://127.0.0.1:18080/index.html").exitCode()).as("no daemon, no forwarder").isNotZero();
        ns.ok(CLI, "vm", "list");
        assertThat(get("http://127.0.0.1:18080/index.html").stdout()).contains("hello-from-web");
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> udp(15353, "again").contains("echo:again"))).isTrue();
    }

    @Test
    @Order(5)
    void autoPublishFollowsANewGuestListenerAndWithdrawsIt() {
        exec("web", "sh", "-c", "busybox httpd -p 127.0.0.1:18765 -h /srv/www");
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> get("http://127.0.0.1:18765/index.html").stdout()
                .contains("hello-from-web"))).as("the new listener appears on the host").isTrue();
        JsonNode shown = ns.ok(CLI, "vm", "show", "web", "--json").json();
        List<Integer> auto = new ArrayList<>();
        shown.get("publishes").forEach(p -> {
            if (p.get("auto").asBoolean()) {
                auto.add(p.get("host_port").asInt());
            }
        });
        assertThat(auto).as("automatic: the new listener only (not sshd's 22, not the agent's port)").containsExactly(18765);

        exec("web", "pkill", "-f", "httpd -p 127.0.0.1:18765");
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> !listening(18765))).as("withdrawn with the listener").isTrue();
    }

    @Test
    @Order(6)
    void afterDeleteNoForwarderRemains() {
        ns.ok(CLI, "vm", "delete", "--force", "web");
        for (int port : new int[] {18080, 18081, 15353}) {
            assertThat(listening(port)).as("port %d after delete", port).isFalse();
        }
        assertThat(ns.inNetns("nft", "list", "ruleset").stdout()).as("no rule of a published port").doesNotContain("18080");
        // The ports are free for the next VM's intent.
        assertThat(ns.banger(CLI, "vm", "create", "--name", "next", "-p", "18080:80").exitCode()).isZero();
        ns.ok(CLI, "vm", "delete", "next");
    }
}
