package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The Firecracker driver's whole lifecycle against the strict API stub (banger-fcstub: every request
 * validated against Firecracker's OpenAPI contract, phases enforced, the sequence recorded), whose guest
 * is emulated by QEMU under TCG: create, start, ssh, vm ports over Firecracker's vsock handshake, kill -9
 * of the daemon and reconcile (the VM is found again by its --api-sock), stop by Ctrl-Alt-Del, restart,
 * delete. Firecracker itself cannot run on this project's machines (no binary, KVM is PVM-only); the
 * driver's KVM check is overridden with {@code accel = "kvm"}, as a user whose detection is wrong would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class FirecrackerIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> BOOT_SEQUENCE = List.of("PUT /logger", "PUT /metrics", "PUT /machine-config",
            "PUT /boot-source", "PUT /drives/rootfs", "PUT /drives/config", "PUT /drives/work", "PUT /network-interfaces/eth0",
            "PUT /vsock", "PUT /actions");
    private NetnsHome ns;

    static Path stub() {
        return BangerHome.repo().resolve("banger-fcstub/bin/firecracker");
    }

    static String config(String firecracker) {
        return "[vmm]\naccel = \"kvm\"\nfirecracker = \"" + firecracker + "\"\n";
    }

    @BeforeAll
    void start() throws IOException {
        assertThat(BangerHome.repo().resolve("banger-fcstub/target/banger-fcstub.jar"))
                .as("the stub is built by the reactor before the integration tests").exists();
        Path image = SharedImage.dir();
        ns = NetnsHome.create(config(stub().toString()));
        importWithBothKernels(image, ns.home.path().resolve("images/debian-bookworm"));
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (ns != null) {
            ns.close();
        }
        // Stubs killed with SIGKILL (force delete, the namespace's cleanup) leave their scratch directories.
        dev.banger.fcstub.ScratchDirs.removeStaleEverywhere();
        assertThat(Path.of("/run/banger-fcstub")).as("no stub scratch left").doesNotExist();
    }

    /**
     * The shared image as built (bzImage and ELF vmlinux; `image import` takes one kernel), hard-linked
     * into the home under the default image's name.
     */
    static void importWithBothKernels(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : List.of("vmlinuz", "vmlinux", "initrd.img", "rootfs.ext4", "build.log")) {
            Files.createLink(to.resolve(f), from.resolve(f));
        }
        ObjectNode manifest = (ObjectNode) JSON.readTree(from.resolve("manifest.json").toFile());
        manifest.put("name", "debian-bookworm");
        JSON.writeValue(to.resolve("manifest.json").toFile(), manifest);
    }

    @Test
    @Order(1)
    void aFirecrackerVmBootsThroughTheApiInOrder() throws IOException {
        BangerHome.Result created = ns.ok(CLI, "vm", "create", "--name", "fc1", "--vmm", "firecracker");
        assertThat(created.stdout()).contains("created VM fc1");
        BangerHome.Result started = ns.ok(BOOT, "vm", "start", "fc1");
        assertThat(started.stdout() + started.stderr()).as("the fallback root is announced with its cost")
                .contains("device-mapper is not available").contains("full copy");
        JsonNode vm = show("fc1");
        assertThat(vm.at("/spec/vmm").asText()).isEqualTo("firecracker");
        assertThat(vm.at("/runtime/state").asText()).isEqualTo("running");

        List<JsonNode> requests = requests(vm);
        assertThat(requests).extracting(r -> r.get("method").asText() + " " + r.get("path").asText())
                .containsExactlyElementsOf(BOOT_SEQUENCE);
        assertThat(requests).extracting(r -> r.get("status").asInt()).containsOnly(204);
        assertThat(requests.get(3).at("/body/kernel_image_path").asText()).endsWith("/vmlinux");
        assertThat(requests.get(3).at("/body/boot_args").asText()).contains("reboot=k").contains("panic=1");
        assertThat(requests.get(4).at("/body/path_on_host").asText()).endsWith("/root.img");
        assertThat(requests.get(4).at("/body/is_root_device").asBoolean()).isTrue();
        assertThat(requests.get(5).at("/body/is_read_only").asBoolean()).isTrue();
        assertThat(requests.get(8).at("/body/guest_cid").asLong()).isEqualTo(vm.at("/runtime/vsock_cid").asLong());
        assertThat(requests.get(9).at("/body/action_type").asText()).isEqualTo("InstanceStart");

        assertThat(ns.ok(CLI, "vm", "ssh", "fc1", "--", "cat", "/etc/hostname").stdout().strip()).isEqualTo("fc1");
    }

    @Test
    @Order(2)
    void portsComeThroughFirecrackersVsockHandshake() {
        JsonNode ports = BangerHome.await(Duration.ofSeconds(60), () -> {
            BangerHome.Result r = ns.banger(CLI, "vm", "ports", "fc1", "--json");
            return r.exitCode() == 0;
        }) ? ns.ok(CLI, "vm", "ports", "fc1", "--json").json() : null;
        assertThat(ports).as("vm ports answered within a minute of boot").isNotNull();
        assertThat(ports.get("transport").asText()).isEqualTo("vsock");
        assertThat(ports.toString()).contains("sshd");
    }

    @Test
    @Order(2)
    void execGoesThroughFirecrackersVsockHandshake() {
        BangerHome.Result r = ns.ok(CLI, "vm", "exec", "fc1", "--", "sh", "-c", "printf '%s|' \"$0\" \"$1\"; cat /etc/hostname", "a b", "$(id)");
        assertThat(r.stdout()).isEqualTo("a b|$(id)|fc1\n");
        assertThat(ns.banger(CLI, "vm", "exec", "fc1", "--", "sh", "-c", "exit 9").exitCode()).isEqualTo(9);
    }

    @Test
    @Order(2)
    void aCopyGoesInAndOutThroughFirecrackersVsock() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bfc");
        try {
            Files.writeString(dir.resolve("hello.txt"), "through vsock\n");
            ns.ok(CLI, "vm", "cp", dir.resolve("hello.txt").toString(), "fc1:/root/");
            Path back = Files.createDirectory(dir.resolve("back"));
            ns.ok(CLI, "vm", "cp", "fc1:/root/hello.txt", back.toString());
            assertThat(back.resolve("hello.txt")).hasContent("through vsock");
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(2)
    void aSnapshotResumesInANewFirecrackerVmThroughTheApi() throws IOException {
        JsonNode parent = show("fc1");
        int before = requests(parent).size();
        JsonNode snap = ns.ok(BOOT, "vm", "snapshot", "fc1", "--name", "fcsnap", "--json").json();
        assertThat(snap.get("vmm").asText()).isEqualTo("firecracker");
        assertThat(snap.get("machine").asText()).isEqualTo("firecracker");
        assertThat(requests(parent).subList(before, requests(parent).size()))
                .extracting(r -> r.get("method").asText() + " " + r.get("path").asText())
                .containsExactly("PATCH /vm", "PUT /snapshot/create", "GET /", "PATCH /vm");

        ns.ok(BOOT, "vm", "create", "--from", "fcsnap", "--name", "fc2");
        JsonNode child = show("fc2");
        List<JsonNode> load = requests(child);
        assertThat(load).extracting(r -> r.get("method").asText() + " " + r.get("path").asText()).containsExactly("PUT /logger",
                "PUT /metrics", "PUT /snapshot/load", "PATCH /drives/rootfs", "PATCH /drives/config", "PATCH /drives/work", "PATCH /vm");
        assertThat(load).extracting(r -> r.get("status").asInt()).containsOnly(204);
        assertThat(load.get(2).at("/body/network_overrides/0/host_dev_name").asText()).isEqualTo("bgr" + child.get("id").asText());
        assertThat(ns.ok(CLI, "vm", "exec", "fc2", "--", "hostname").stdout().strip()).isEqualTo("fc2");
        assertThat(ns.ok(CLI, "vm", "exec", "fc1", "--", "hostname").stdout().strip()).isEqualTo("fc1");
        ns.ok(CLI, "vm", "delete", "--force", "fc2");
        ns.ok(CLI, "snapshot", "rm", "fcsnap");
    }

    @Test
    @Order(3)
    void theVmOutlivesKillMinus9AndIsFoundByItsApiSocket() {
        long before = firecrackerPids(show("fc1")).getFirst();
        ns.killDaemon();
        assertThat(ns.ok(CLI, "vm", "list").stdout()).containsPattern("fc1\\s+running");
        assertThat(ns.home.ok("daemon", "status").stdout()).contains("reconciled 1 VMs").contains("1 running");
        assertThat(firecrackerPids(show("fc1"))).containsExactly(before);
        assertThat(ns.ok(CLI, "vm", "ssh", "fc1", "--", "true").exitCode()).isZero();
    }

    @Test
    @Order(4)
    void stopIsCtrlAltDelAndLeavesNothingRunning() throws IOException {
        JsonNode vm = show("fc1");
        ns.ok(CLI, "vm", "stop", "fc1");
        assertThat(show("fc1").at("/runtime/state").asText()).isEqualTo("stopped");
        // The stop's requests end the log: Ctrl-Alt-Del, pressed again every 3 s until Firecracker exits
        // (FirecrackerProcess.stop). The first press must reach the guest. A later one can meet the emulated guest
        // already going down under a slow TCG, its QEMU no longer answering QMP: the stub then answers 400.
        List<JsonNode> requests = requests(vm);
        int first = requests.size();
        while (first > 0 && requests.get(first - 1).at("/body/action_type").asText().equals("SendCtrlAltDel")) {
            first--;
        }
        List<JsonNode> presses = requests.subList(first, requests.size());
        assertThat(presses).as("the stop's Ctrl-Alt-Del presses, last in the log").isNotEmpty();
        assertThat(presses).extracting(r -> r.get("method").asText() + " " + r.get("path").asText()).containsOnly("PUT /actions");
        assertThat(presses.getFirst().get("status").asInt()).as("the first press reaches the guest").isEqualTo(204);
        assertThat(presses).extracting(r -> r.get("status").asInt()).isSubsetOf(204, 400);
        assertThat(firecrackerPids(vm)).isEmpty();
        assertThat(ns.inNetns("ip", "-o", "link", "show").stdout()).doesNotContain("bgr" + vm.get("id").asText());
        assertThat(Path.of(vm.at("/runtime/vm_dir").asText()).resolve("handles.json")).doesNotExist();
    }

    @Test
    @Order(5)
    void aRestartKeepsTheRootAndDeleteLeavesNothing() throws IOException {
        JsonNode vm = show("fc1");
        Path root = Path.of(vm.at("/runtime/vm_dir").asText()).resolve("root.img");
        Object inode = Files.getAttribute(root, "unix:ino");
        BangerHome.Result again = ns.ok(BOOT, "vm", "start", "fc1");
        assertThat(again.stdout() + again.stderr()).as("no second copy").doesNotContain("full copy");
        assertThat(Files.getAttribute(root, "unix:ino")).isEqualTo(inode);
        ns.ok(CLI, "vm", "delete", "--force", "fc1");
        assertThat(Path.of(vm.at("/runtime/vm_dir").asText())).doesNotExist();
        assertThat(firecrackerPids(vm)).isEmpty();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(vm.at("/runtime/vm_dir").asText())).orElse(false)).count())
                .as("the stub's emulated guest went with it").isZero();
    }

    @Test
    @Order(6)
    void badInputIsRefusedClearly() {
        BangerHome.Result r = ns.banger(CLI, "vm", "create", "--name", "bad", "--vmm", "xen");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("VMM 'xen' is unknown").contains("firecracker");
        assertThat(ns.ok(CLI, "vm", "list").stdout()).doesNotContain("bad");
    }

    @Test
    @Order(7)
    void aMissingFirecrackerFailsTheStartWithTheFixAndLeaksNothing() {
        ns.restartDaemon(config("/nonexistent/firecracker"));
        ns.ok(CLI, "vm", "create", "--name", "fc2", "--vmm", "firecracker");
        BangerHome.Result r = ns.banger(BOOT, "vm", "start", "fc2");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("/nonexistent/firecracker (vmm.firecracker) is not installed").contains("--vmm qemu");
        JsonNode vm = show("fc2");
        assertThat(vm.at("/runtime/state").asText()).isEqualTo("error");
        assertThat(ns.inNetns("ip", "-o", "link", "show").stdout()).doesNotContain("bgr" + vm.get("id").asText());
        ns.ok(CLI, "vm", "delete", "fc2");
        ns.restartDaemon(config(stub().toString()));
    }

    @Test
    @Order(8)
    void withoutUsableKvmTheStartIsRefusedBeforeAnythingIsMade() {
        // This host's KVM cannot run a guest (PVM-only or absent): the automatic check says so.
        dev.banger.core.vm.Accelerator.Choice kvm = dev.banger.host.vm.KvmProbe.choose(dev.banger.core.vm.Accelerator.Mode.AUTO);
        org.junit.jupiter.api.Assumptions.assumeFalse(kvm.kvm(), "KVM works on this host: there is no refusal to see");
        ns.restartDaemon("[vmm]\nfirecracker = \"" + stub() + "\"\n");
        ns.ok(CLI, "vm", "create", "--name", "fc3", "--vmm", "firecracker");
        BangerHome.Result r = ns.banger(BOOT, "vm", "start", "fc3");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("Firecracker needs KVM").contains("--vmm qemu").contains("accel = \"kvm\"");
        JsonNode vm = show("fc3");
        assertThat(vm.at("/runtime/state").asText()).isEqualTo("error");
        assertThat(Path.of(vm.at("/runtime/vm_dir").asText()).resolve("root.img")).as("no copy made for nothing").doesNotExist();
        assertThat(firecrackerPids(vm)).isEmpty();
        ns.ok(CLI, "vm", "delete", "fc3");
        ns.restartDaemon(config(stub().toString()));
    }

    private JsonNode show(String name) {
        return ns.home.ok("vm", "show", name, "--json").json();
    }

    /** The stub's record of every request it was sent (one JSON object per line). */
    private static List<JsonNode> requests(JsonNode vm) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(vm.at("/runtime/vm_dir").asText()).resolve("fcstub-requests.jsonl"))) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    private static List<Long> firecrackerPids(JsonNode vm) {
        String sock = vm.at("/runtime/api_sock_path").asText();
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> List.of(a).contains(sock) && List.of(a).contains("--api-sock")).orElse(false))
                .map(ProcessHandle::pid).toList();
    }
}
