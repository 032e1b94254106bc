package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.daemon.vm.CrashPoint;
import java.time.Duration;
import java.util.Arrays;
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
 * bangerd killed (BANGER_TEST_CRASH_AT) at every crash point of a snapshot, a fork, a template build and a restore,
 * with real VMs: after the restart's reconcile no half-taken snapshot is listed, no file is left under snapshots/,
 * no half-made child or template VM exists, the parent runs (not paused), and a QEMU runs exactly for each running VM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class SnapshotCrashIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(BOOT, "vm", "run", "--cold", "--name", "source", "--", "true");
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    @Test
    @Order(1)
    void everyCrashPointOfASnapshotLeavesNoSnapshotAndTheVmRunning() {
        for (String point : points("snapshot")) {
            crashDuring(point, "vm", "snapshot", "source", "--name", "cut-short");
            ns.restartDaemon(Map.of());
            assertClean(point);
        }
    }

    @Test
    @Order(2)
    void everyCrashPointOfAForkLeavesNoChild() {
        for (String point : points("fork")) {
            crashDuring(point, "vm", "fork", "source", "--count", "2");
            ns.restartDaemon(Map.of());
            assertClean(point);
            assertThat(ns.banger(CLI, "vm", "show", "source-1").exitCode()).as("child after %s", point).isNotZero();
            assertThat(ns.banger(CLI, "vm", "show", "source-2").exitCode()).as("child after %s", point).isNotZero();
        }
    }

    @Test
    @Order(3)
    void everyCrashPointOfATemplateBuildLeavesNoTemplateAndNoTemplateVm() {
        for (String point : points("template")) {
            crashDuring(point, "image", "warm", "debian-bookworm");
            ns.restartDaemon(Map.of());
            if (point.equals("template.after-snapshot")) {
                // Taken whole before the crash: the template is kept (ready, its files there), only its VM goes.
                JsonNode kept = ns.ok(CLI, "snapshot", "list", "--json").json().get("snapshots");
                assertThat(kept).hasSize(1);
                assertThat(kept.get(0).get("state").asText()).isEqualTo("ready");
                assertThat(ns.snapshotDirectories()).containsExactly(kept.get(0).get("id").asText());
                ns.ok(CLI, "snapshot", "rm", kept.get(0).get("name").asText());
            }
            assertClean(point);
            assertThat(ns.ok(CLI, "vm", "list").stdout()).as("template VM after %s", point).doesNotContain("warm-");
        }
    }

    @Test
    @Order(4)
    void aRestoreCutShortLeavesAStoppedVmThatResumesAtItsNextStart() {
        ns.ok(CLI, "vm", "snapshot", "source", "--name", "base");
        for (String point : List.of("start.after-network", "start.after-boot")) {
            crashDuring(point, "vm", "create", "--from", "base", "--name", "resumed");
            ns.restartDaemon(Map.of());
            JsonNode vm = ns.ok(CLI, "vm", "show", "resumed", "--json").json();
            assertThat(vm.at("/runtime/state").asText()).as("after %s: never kept with its parent's identity", point).isEqualTo("stopped");
            assertQemuForEachRunningVm(point);
            ns.ok(BOOT, "vm", "start", "resumed");
            assertThat(ns.ok(CLI, "vm", "exec", "resumed", "--", "hostname").stdout().strip()).isEqualTo("resumed");
            ns.ok(CLI, "vm", "delete", "--force", "resumed");
        }
        ns.ok(CLI, "snapshot", "rm", "base");
    }

    private void assertClean(String point) {
        JsonNode snapshots = ns.ok(CLI, "snapshot", "list", "--json").json().get("snapshots");
        assertThat(snapshots).as("snapshots after %s", point).isEmpty();
        assertThat(ns.snapshotDirectories()).as("snapshot directories after %s", point).isEmpty();
        assertThat(ns.ok(CLI, "vm", "show", "source", "--json").json().at("/runtime/state").asText()).isEqualTo("running");
        assertThat(ns.ok(CLI, "vm", "exec", "source", "--", "echo", "alive").stdout().strip()).as("the source is not paused after %s", point)
                .isEqualTo("alive");
        assertQemuForEachRunningVm(point);
    }

    private void assertQemuForEachRunningVm(String point) {
        long running = 0;
        for (JsonNode vm : ns.ok(CLI, "vm", "list", "--json").json().get("vms")) {
            running += vm.at("/runtime/state").asText().equals("running") ? 1 : 0;
        }
        long qemus = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(ns.home.path().resolve("vms").toString())).orElse(false)).count();
        assertThat(qemus).as("QEMU processes after %s", point).isEqualTo(running);
    }

    private static List<String> points(String operation) {
        List<String> points = Arrays.stream(CrashPoint.values()).filter(p -> p.operation().equals(operation)).map(CrashPoint::wireName).toList();
        assertThat(points).as("crash points of %s", operation).isNotEmpty();
        return points;
    }

    private void crashDuring(String point, String... command) {
        ns.restartDaemon(Map.of(CrashPoint.ENV, point));
        BangerHome.Result r = ns.banger(Duration.ofMinutes(6), command);
        assertThat(r.exitCode()).as("the daemon died at %s: %s", point, r).isNotZero();
        ns.awaitNoDaemon();
    }
}
