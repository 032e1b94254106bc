package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code vm ports} end to end with a real VM: the guest agent (TCP fallback: no vhost-vsock here) reports
 * an HTTP server (busybox httpd), a TLS server (openssl s_server -www), sshd and a loopback-only server;
 * the daemon labels each by asking it and writes name.vm endpoints.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class VmPortsIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(1);
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(BOOT, "vm", "run", "--name", "ports-test", "--", "true");
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    @Test
    void showsHttpHttpsTcpAndLoopbackListenersAsEndpoints() {
        ns.ok(CLI, "vm", "exec", "ports-test", "--", "sh", "-c", String.join(" && ",
                "busybox httpd -p 8080 -h /tmp",
                "busybox httpd -p 127.0.0.1:9090 -h /tmp",
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /tmp/k.pem -out /tmp/c.pem"
                        + " -subj /CN=ports-test.vm -days 2 2>/dev/null",
                "(setsid openssl s_server -accept 8443 -cert /tmp/c.pem -key /tmp/k.pem -www -quiet </dev/null >/dev/null 2>&1 &)",
                "sleep 1"));
        // vm start waited for the agent; the listeners just started may take a moment under TCG.
        List<BangerHome.Result> tries = new ArrayList<>();
        assertThat(BangerHome.await(Duration.ofSeconds(90), () -> {
            BangerHome.Result r = ns.banger(CLI, "vm", "ports", "ports-test", "--json");
            tries.add(r);
            return r.exitCode() == 0 && r.stdout().contains("8443");
        })).as("vm ports answers: %s", tries.isEmpty() ? "" : tries.getLast()).isTrue();

        JsonNode ports = ns.home.ok("vm", "ports", "ports-test", "--json").json();
        assertThat(ports.get("transport").asText()).as("QEMU's agent port needs no guest network").isEqualTo("serial");
        assertThat(ports.get("ports").findValuesAsText("endpoint")).as("the agent's own TCP fallback is not listed")
                .noneMatch(e -> e.endsWith(":1024"));
        JsonNode http = row(ports, "ports-test.vm:8080");
        assertThat(http.get("proto").asText()).isEqualTo("http");
        assertThat(http.get("url").asText()).isEqualTo("http://ports-test.vm:8080");
        assertThat(http.get("process").asText()).contains("busybox");
        JsonNode https = row(ports, "ports-test.vm:8443");
        assertThat(https.get("proto").asText()).isEqualTo("https");
        assertThat(https.get("url").asText()).isEqualTo("https://ports-test.vm:8443");
        assertThat(https.get("command").asText()).contains("openssl s_server");
        assertThat(row(ports, "ports-test.vm:22").get("proto").asText()).isEqualTo("tcp");
        assertThat(row(ports, "127.0.0.1:9090").get("reachable").asBoolean()).isFalse();
        List<String> rendered = new ArrayList<>();
        ports.get("ports").forEach(r -> rendered.add(r.get("proto").asText() + " " + r.get("endpoint").asText()));
        assertThat(rendered).as("0.0.0.0 and :: binds of sshd are one row").doesNotHaveDuplicates();

        String table = ns.ok(CLI, "vm", "ports", "ports-test").stdout();
        assertThat(table).startsWith("PROTO").contains("ENDPOINT").contains("PROCESS").contains("COMMAND")
                .contains("http://ports-test.vm:8080").contains("https://ports-test.vm:8443")
                .contains("127.0.0.1:9090 (inside the VM only)")
                .doesNotContain("\u001b]8;;"); // not a terminal: no hyperlink escapes
    }

    @Test
    void aStoppedVmOrAnUnknownOneIsAClearError() {
        BangerHome.Result unknown = ns.banger(CLI, "vm", "ports", "nope");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("no VM named 'nope'");
        ns.ok(CLI, "vm", "create", "--name", "resting");
        BangerHome.Result stopped = ns.banger(CLI, "vm", "ports", "resting");
        assertThat(stopped.exitCode()).isEqualTo(1);
        assertThat(stopped.stderr()).contains("is stopped").contains("banger vm start resting");
    }

    private static JsonNode row(JsonNode ports, String endpoint) {
        for (JsonNode r : ports.get("ports")) {
            if (r.get("endpoint").asText().equals(endpoint)) {
                return r;
            }
        }
        throw new AssertionError("no row for " + endpoint + " in " + ports);
    }
}
