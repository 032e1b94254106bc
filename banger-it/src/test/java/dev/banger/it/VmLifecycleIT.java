package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * Real VMs under QEMU (TCG here) from banger's own image, driven through the real CLI, with the daemon,
 * bridge and taps inside a network namespace this test owns. The original's first verification:
 * `vm run --name handles-test -- cat /etc/hostname` prints handles-test; ssh works; delete leaves
 * nothing behind, checked on the host, not only in banger's view.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 25, unit = TimeUnit.MINUTES)
class VmLifecycleIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
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
    void runPrintsTheHostnameAndSshWorks() {
        BangerHome.Result run = ns.ok(BOOT, "vm", "run", "--name", "handles-test", "--", "cat", "/etc/hostname");
        assertThat(run.stdout().strip()).isEqualTo("handles-test");
        assertThat(ns.ok(Duration.ofMinutes(1), "vm", "ssh", "handles-test", "--", "cat", "/etc/hostname").stdout().strip())
                .isEqualTo("handles-test");
        JsonNode vm = ns.home.ok("vm", "show", "handles-test", "--json").json();
        assertThat(vm.at("/runtime/state").asText()).isEqualTo("running");
        assertThat(ns.home.ok("vm", "list").stdout()).contains("handles-test").contains("running");
        assertThat(kernelOf(vm)).as("QEMU enters the image's vmlinux through its PVH note").endsWith("/vmlinux");
    }

    /** The -kernel argument of the QEMU that serves {@code vm} (found by its QMP socket, which only it names). */
    private static String kernelOf(JsonNode vm) {
        String qmp = vm.at("/runtime/api_sock_path").asText();
        String[] argv = ProcessHandle.allProcesses().map(p -> p.info().arguments().orElse(new String[0]))
                .filter(a -> String.join(" ", a).contains(qmp)).findFirst().orElseThrow();
        for (int i = 0; i + 1 < argv.length; i++) {
            if (argv[i].equals("-kernel")) {
                return argv[i + 1];
            }
        }
        throw new AssertionError("no -kernel in " + String.join(" ", argv));
    }

    @Test
    @Order(8)
    void anImageWithOnlyABzImageBootsItUnderQemu() {
        Path d = SharedImage.dir();
        ns.home.ok("image", "import", "--name", "bz-only", "--kernel", d.resolve("vmlinuz").toString(),
                "--initrd", d.resolve("initrd.img").toString(), "--rootfs", d.resolve("rootfs.ext4").toString());
        BangerHome.Result run = ns.ok(BOOT, "vm", "run", "--name", "bz", "--image", "bz-only", "--", "cat", "/etc/hostname");
        assertThat(run.stdout().strip()).isEqualTo("bz");
        assertThat(kernelOf(ns.home.ok("vm", "show", "bz", "--json").json())).as("no vmlinux: the bzImage").endsWith("/vmlinuz");
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", "bz");
        ns.home.ok("image", "rm", "bz-only");
    }

    @Test
    @Order(2)
    void exitStatusPropagatesAndRmDeletes() {
        BangerHome.Result r = ns.banger(BOOT, "vm", "run", "--rm", "--name", "exits", "--", "sh", "-c", "echo out; echo err >&2; exit 7");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(7);
        assertThat(r.stdout()).contains("out");
        assertThat(r.stderr()).contains("err");
        assertThat(ns.home.banger("vm", "show", "exits").exitCode()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void vmsReachEachOtherByName() {
        ns.ok(BOOT, "vm", "create", "--name", "peer");
        ns.ok(BOOT, "vm", "start", "peer");
        String peerIp = ns.home.ok("vm", "show", "peer", "--json").json().at("/runtime/guest_ip").asText();
        BangerHome.Result lookup = ns.ok(Duration.ofMinutes(1), "vm", "ssh", "handles-test", "--", "getent", "hosts", "peer.vm");
        assertThat(lookup.stdout()).contains(peerIp);
    }

    @Test
    @Order(4)
    void stopAndStartKeepTheAddressAndWorkData() {
        String ip = ns.home.ok("vm", "show", "peer", "--json").json().at("/runtime/guest_ip").asText();
        ns.ok(Duration.ofMinutes(1), "vm", "exec", "peer", "--", "sh", "-c", "echo kept > /work/proof && sync");
        ns.ok(Duration.ofMinutes(2), "vm", "stop", "peer");
        assertThat(ns.home.ok("vm", "show", "peer", "--json").json().at("/runtime/state").asText()).isEqualTo("stopped");
        ns.ok(BOOT, "vm", "start", "peer");
        assertThat(ns.home.ok("vm", "show", "peer", "--json").json().at("/runtime/guest_ip").asText()).isEqualTo(ip);
        assertThat(ns.ok(Duration.ofMinutes(1), "vm", "ssh", "peer", "--", "cat", "/work/proof").stdout().strip()).isEqualTo("kept");
    }

    @Test
    @Order(5)
    void deleteLeavesNoTapProcessFileOrRecord() throws Exception {
        JsonNode vm = ns.home.ok("vm", "show", "peer", "--json").json();
        String id = vm.get("id").asText();
        Path dir = Path.of(vm.at("/runtime/vm_dir").asText());
        String qmp = vm.at("/runtime/api_sock_path").asText();
        BangerHome.Result refused = ns.banger(Duration.ofMinutes(1), "vm", "delete", "peer");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("--force");
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", "peer");
        assertThat(ns.inNetns("ip", "link", "show", "bgr" + id).exitCode()).as("tap gone").isNotZero();
        assertThat(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains(qmp)).orElse(false)))
                .as("no QEMU holds its socket").isFalse();
        assertThat(Files.exists(dir)).as("VM directory gone").isFalse();
        assertThat(ns.home.banger("vm", "show", "peer").exitCode()).isEqualTo(1);
    }

    @Test
    @Order(6)
    void aVmWhoseQemuIsKilledBecomesStoppedWithTheReason() {
        JsonNode vm = ns.home.ok("vm", "show", "handles-test", "--json").json();
        String qmp = vm.at("/runtime/api_sock_path").asText();
        ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(c -> c.contains(qmp)).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
        assertThat(BangerHome.await(Duration.ofSeconds(20), () ->
                ns.home.ok("vm", "show", "handles-test", "--json").json().at("/runtime/state").asText().equals("stopped")))
                .as("stopped within seconds").isTrue();
        assertThat(ns.home.ok("vm", "show", "handles-test", "--json").json().at("/runtime/last_error").asText()).contains("QEMU exited");
        assertThat(ns.inNetns("ip", "link", "show", "bgr" + vm.get("id").asText()).exitCode()).as("tap released").isNotZero();
        ns.ok(Duration.ofMinutes(1), "vm", "delete", "handles-test");
    }

    @Test
    @Order(7)
    void teardownRemovesTheBridgeAndIsRefusedWhileAVmRuns() {
        ns.ok(BOOT, "vm", "run", "--name", "busy", "--", "true");
        BangerHome.Result refused = ns.banger(Duration.ofMinutes(1), "daemon", "teardown");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("busy");
        ns.ok(Duration.ofMinutes(2), "vm", "delete", "--force", "busy");
        ns.ok(Duration.ofMinutes(1), "daemon", "teardown");
        assertThat(ns.inNetns("ip", "-o", "link").stdout()).doesNotContain("banger0").doesNotContain("bgr");
        ns.ok(Duration.ofMinutes(1), "daemon", "teardown"); // idempotent
    }
}
