package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Starts that cannot succeed, with the real daemon and image: QEMU missing from the daemon's PATH, and
 * SSH not up within the (shortened) timeout. Each fails with an error that says what to do, leaves the
 * VM in `error` with that reason, and leaks nothing: no QEMU, no tap. The VM then starts normally.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class VmBootFailureIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private NetnsHome ns;
    private Path noQemuBin;

    @BeforeAll
    void start() throws IOException {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(Duration.ofMinutes(1), "vm", "create", "--name", "doomed");
        // /usr/bin without QEMU's system emulators: everything else the daemon runs is still there.
        noQemuBin = Files.createDirectories(ns.home.path().resolve("no-qemu-bin"));
        try (Stream<Path> bins = Files.list(Path.of("/usr/bin"))) {
            for (Path b : bins.toList()) {
                if (!b.getFileName().toString().startsWith("qemu-system-")) {
                    Files.createSymbolicLink(noQemuBin.resolve(b.getFileName()), b);
                }
            }
        }
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    @Test
    @Order(1)
    void qemuMissingIsAClearErrorAndLeaksNothing() {
        ns.restartDaemon(Map.of("PATH", noQemuBin + ":/usr/sbin:/sbin"));
        BangerHome.Result r = ns.banger(BOOT, "vm", "start", "doomed");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(4); // MISSING_DEPENDENCY: this host cannot run it
        assertThat(r.stderr()).contains("qemu-system-x86_64 is not installed").contains("qemu-system-x86");
        assertNothingRuns("error");
    }

    @Test
    @Order(2)
    void sshThatNeverAnswersTimesOutNamingTheConsoleLog() {
        ns.restartDaemon(Map.of("BANGER_DAEMON_JAVA_OPTS", "-Dbanger.sshTimeoutSeconds=1"));
        BangerHome.Result r = ns.banger(BOOT, "vm", "start", "doomed");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(3); // TIMED_OUT
        JsonNode vm = ns.home.ok("vm", "show", "doomed", "--json").json();
        assertThat(r.stderr()).contains("the guest did not become ready").contains(vm.at("/runtime/log_path").asText());
        assertNothingRuns("error");
    }

    @Test
    @Order(3)
    void afterBothTheVmStartsNormally() {
        ns.restartDaemon(Map.of());
        ns.ok(BOOT, "vm", "start", "doomed");
        assertThat(ns.ok(Duration.ofMinutes(1), "vm", "ssh", "doomed", "--", "cat", "/etc/hostname").stdout().strip()).isEqualTo("doomed");
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", "doomed");
        assertThat(ns.inNetns("ip", "-o", "link").stdout()).doesNotContain("bgr");
    }

    private void assertNothingRuns(String state) {
        JsonNode vm = ns.home.ok("vm", "show", "doomed", "--json").json();
        assertThat(vm.at("/runtime/state").asText()).isEqualTo(state);
        String qmp = vm.at("/runtime/api_sock_path").asText();
        assertThat(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains(qmp)).orElse(false)))
                .as("no QEMU for the VM").isFalse();
        assertThat(ns.inNetns("ip", "link", "show", "bgr" + vm.get("id").asText()).exitCode()).as("no tap").isNotZero();
    }
}
