package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.daemon.vm.CrashPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * The daemon dies at any moment and nothing is lost or leaked, with real VMs: kill -9 of bangerd while a
 * VM runs (the next command's auto-started daemon keeps it: running, ssh works, delete cleans up); the
 * VMM killed while the daemon is down (the VM is demoted with the reason, its tap released); and every
 * crash point of create, start, stop and delete (BANGER_TEST_CRASH_AT), each followed by a restart and
 * a check of the host: taps, QEMU processes, VM directories and records agree.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class VmCrashIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private static final String CRASH_ENV = CrashPoint.ENV;
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage(null);
    }

    @AfterAll
    void cleanUp() {
        ns.close();
    }

    @Test
    @Order(1)
    void aVmOutlivesKillMinus9OfTheDaemon() {
        ns.ok(BOOT, "vm", "run", "--name", "survivor", "--", "true");
        ns.killDaemon();

        // Any command auto-starts a daemon (inside the namespace: the CLI runs there), which reconciles first.
        BangerHome.Result list = ns.ok(CLI, "vm", "list");
        assertThat(list.stdout()).containsPattern("survivor\\s+running");
        assertThat(ns.ok(CLI, "vm", "ssh", "survivor", "--", "cat", "/etc/hostname").stdout().strip()).isEqualTo("survivor");
        assertThat(ns.ok(CLI, "vm", "ssh", "survivor", "--", "getent", "hosts", "survivor.vm").stdout())
                .as("the restarted daemon serves .vm names again").contains(ip("survivor"));
        ns.ok(CLI, "vm", "delete", "--force", "survivor");
        assertHostMatchesRecords();
    }

    @Test
    @Order(2)
    void aVmmKilledWhileTheDaemonIsDownIsDemotedAndReleased() {
        ns.ok(BOOT, "vm", "run", "--name", "orphaned", "--", "true");
        JsonNode vm = show("orphaned");
        ns.killDaemon();
        killQemuOf(vm);

        ns.ok(CLI, "vm", "list");
        JsonNode after = show("orphaned");
        assertThat(after.at("/runtime/state").asText()).isEqualTo("stopped");
        assertThat(after.at("/runtime/last_error").asText()).contains("no VMM when bangerd started");
        assertThat(ns.home.ok("daemon", "status").stdout()).as("reported").contains("demoted [orphaned]");
        assertHostMatchesRecords();
        ns.ok(CLI, "vm", "delete", "orphaned");
        assertHostMatchesRecords();
    }

    @Test
    @Order(3)
    void everyCrashPointOfCreateLeavesNothing() {
        for (String point : points("create")) {
            crashDuring(point, "vm", "create", "--name", "half-made");
            ns.restartDaemon(Map.of());
            assertThat(ns.home.banger("vm", "show", "half-made").exitCode()).as("after %s", point).isEqualTo(1);
            assertHostMatchesRecords();
        }
    }

    @Test
    @Order(4)
    void everyCrashPointOfDeleteIsFinishedAtRestart() {
        for (String point : points("delete")) {
            ns.ok(BOOT, "vm", "run", "--name", "doomed", "--", "true");
            crashDuring(point, "vm", "delete", "--force", "doomed");
            ns.restartDaemon(Map.of());
            assertThat(ns.home.banger("vm", "show", "doomed").exitCode()).as("after %s", point).isEqualTo(1);
            assertHostMatchesRecords();
        }
    }

    @Test
    @Order(5)
    void everyCrashPointOfStartLeavesAVmThatWorks() {
        ns.ok(CLI, "vm", "create", "--name", "phoenix");
        for (String point : points("start")) {
            crashDuring(point, "vm", "start", "phoenix");
            ns.restartDaemon(Map.of());
            assertHostMatchesRecords();
            String state = show("phoenix").at("/runtime/state").asText();
            assertThat(state).as("after %s", point).isIn("running", "stopped");
            if (state.equals("stopped")) {
                ns.ok(BOOT, "vm", "start", "phoenix");
            }
            // Kept running from a start cut short, the guest may still be booting: give SSH the boot's time.
            assertThat(BangerHome.await(Duration.ofSeconds(90), () -> ns.banger(CLI, "vm", "ssh", "phoenix", "--", "cat", "/etc/hostname")
                    .stdout().strip().equals("phoenix"))).as("ssh after %s", point).isTrue();
            ns.ok(CLI, "vm", "stop", "--force", "phoenix");
        }
        ns.ok(CLI, "vm", "delete", "phoenix");
        assertHostMatchesRecords();
    }

    @Test
    @Order(6)
    void everyCrashPointOfStopEndsStopped() {
        ns.ok(CLI, "vm", "create", "--name", "sleeper");
        for (String point : points("stop")) {
            ns.ok(BOOT, "vm", "start", "sleeper");
            crashDuring(point, "vm", "stop", "sleeper");
            ns.restartDaemon(Map.of());
            // A stop cut short is finished by the restarted daemon (in the background: a graceful power-off).
            assertThat(BangerHome.await(Duration.ofSeconds(90), () -> show("sleeper").at("/runtime/state").asText().equals("stopped")))
                    .as("stopped after %s", point).isTrue();
            assertHostMatchesRecords();
        }
        ns.ok(CLI, "vm", "delete", "sleeper");
        assertHostMatchesRecords();
    }

    /** Every crash point of {@code operation}, from the daemon's own enum: a point added there is tested here. */
    private static List<String> points(String operation) {
        List<String> points = java.util.Arrays.stream(CrashPoint.values()).filter(p -> p.operation().equals(operation))
                .map(CrashPoint::wireName).toList();
        assertThat(points).as("crash points of %s", operation).isNotEmpty();
        return points;
    }

    /** Runs a CLI command against a daemon armed to kill itself at {@code point}; the command fails, the daemon is gone. */
    private void crashDuring(String point, String... command) {
        ns.restartDaemon(Map.of(CRASH_ENV, point));
        BangerHome.Result r = ns.banger(BOOT, command);
        assertThat(r.exitCode()).as("the daemon died at %s: %s", point, r).isNotZero();
        ns.awaitNoDaemon();
        assertThat(logText()).contains("crash point " + point + " reached");
    }

    /**
     * The host agrees with the records: a tap and a QEMU exactly for each running VM, a directory exactly
     * for each record, no handles file for a VM at rest.
     */
    private void assertHostMatchesRecords() {
        JsonNode vms = ns.home.ok("vm", "list", "--json").json().get("vms");
        Set<String> ids = new TreeSet<>();
        Set<String> runningTaps = new TreeSet<>();
        for (JsonNode vm : vms) {
            String id = vm.get("id").asText();
            ids.add(id);
            boolean running = vm.at("/runtime/state").asText().equals("running");
            if (running) {
                runningTaps.add("bgr" + id);
            }
            assertThat(qemuRunsFor(vm)).as("QEMU of %s (%s)", vm.at("/spec/name").asText(), vm.at("/runtime/state").asText())
                    .isEqualTo(running);
            if (!running && !vm.at("/runtime/state").asText().equals("stopping")) {
                assertThat(Path.of(vm.at("/runtime/vm_dir").asText()).resolve("handles.json")).as("handles of a VM at rest").doesNotExist();
            }
        }
        assertThat(taps()).as("taps").isEqualTo(runningTaps);
        assertThat(vmDirectories()).as("VM directories").isEqualTo(ids);
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(ns.home.path().resolve("vms").toString())).orElse(false)).count())
                .as("QEMU processes in this home").isEqualTo(runningTaps.size());
    }

    private Set<String> taps() {
        Set<String> taps = new TreeSet<>();
        for (String line : ns.inNetns("ip", "-o", "link", "show").stdout().split("\n")) {
            String[] f = line.split(":\\s+", 3);
            if (f.length > 1 && f[1].startsWith("bgr")) {
                taps.add(f[1].split("@")[0]);
            }
        }
        return taps;
    }

    private Set<String> vmDirectories() {
        Path dir = ns.home.path().resolve("vms");
        Set<String> names = new TreeSet<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.forEach(p -> names.add(p.getFileName().toString()));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return names;
    }

    private boolean qemuRunsFor(JsonNode vm) {
        String qmp = vm.at("/runtime/api_sock_path").asText();
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains(qmp)).orElse(false));
    }

    private void killQemuOf(JsonNode vm) {
        String qmp = vm.at("/runtime/api_sock_path").asText();
        List<ProcessHandle> qemus = new ArrayList<>(ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(qmp)).orElse(false)).toList());
        assertThat(qemus).hasSize(1);
        qemus.forEach(ProcessHandle::destroyForcibly);
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> !qemuRunsFor(vm))).isTrue();
    }

    private JsonNode show(String name) {
        return ns.home.ok("vm", "show", name, "--json").json();
    }

    private String ip(String name) {
        return show(name).at("/runtime/guest_ip").asText();
    }

    private String logText() {
        try {
            return Files.readString(ns.home.log());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
