package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
 * Snapshots, forks and templates with real QEMU VMs in a test-made network namespace: a fork's children carry on
 * from the parent's state and are each a machine of their own; a snapshot resumes in a new VM and cannot be removed
 * while that VM lies over it; an image's template makes vm run resume instead of boot, --cold boots, and a changed
 * key boots cold once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class SnapshotIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(2);
    private NetnsHome ns;

    @BeforeAll
    void start() {
        ns = NetnsHome.withSharedImage("[snapshots]\nauto_template = false\n");
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

    private JsonNode show(String vm) {
        return ns.ok(CLI, "vm", "show", vm, "--json").json();
    }

    /** The loop replaces the file by a rename, so a read never meets it truncated (a plain {@code echo >} once gave ""). */
    private long counter(String vm) {
        return Long.parseLong(exec(vm, "cat", "/dev/shm/counter"));
    }

    @Test
    @Order(1)
    void aForkCarriesThePartentsStateIntoChildrenThatAreEachTheirOwnMachine() {
        ns.ok(BOOT, "vm", "run", "--cold", "--name", "parent", "--", "true");
        ns.ok(CLI, "vm", "exec", "--detach", "parent", "--", "sh", "-c",
                "i=0; while true; do i=$((i+1)); echo $i > /dev/shm/counter.new; mv /dev/shm/counter.new /dev/shm/counter; sleep 0.2; done");
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> counter("parent") > 3)).as("the parent's loop counts").isTrue();
        long before = counter("parent");

        JsonNode fork = ns.ok(BOOT, "vm", "fork", "parent", "--count", "3", "--json").json();
        assertThat(fork.get("children")).hasSize(3);
        List<String> all = List.of("parent", "parent-1", "parent-2", "parent-3");
        for (String child : all.subList(1, 4)) {
            assertThat(show(child).at("/runtime/state").asText()).isEqualTo("running");
            assertThat(counter(child)).as("%s continues from the parent's count", child).isGreaterThanOrEqualTo(before);
        }
        // They diverge: each loop runs on in its own machine.
        long[] first = all.stream().mapToLong(this::counter).toArray();
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < all.size(); i++) {
                if (counter(all.get(i)) <= first[i]) {
                    return false;
                }
            }
            return true;
        })).as("every loop, parent and children, counts on").isTrue();

        Set<String> macs = new HashSet<>();
        Set<String> ips = new HashSet<>();
        Set<String> machineIds = new HashSet<>();
        Set<String> randoms = new HashSet<>();
        for (String vm : all) {
            JsonNode v = show(vm);
            String ip = v.at("/runtime/guest_ip").asText();
            ips.add(ip);
            String nic = exec(vm, "cat", "/run/banger/nic");
            macs.add(exec(vm, "cat", "/sys/class/net/" + nic + "/address"));
            assertThat(exec(vm, "hostname")).isEqualTo(vm);
            assertThat(exec(vm, "cat", "/etc/hostname")).isEqualTo(vm);
            assertThat(exec(vm, "ip", "-4", "-o", "addr", "show", "dev", nic)).as("%s has only its own address", vm)
                    .contains(ip + "/").doesNotContainPattern("inet (?!" + ip.replace(".", "\\.") + "/)");
            machineIds.add(exec(vm, "cat", "/etc/machine-id"));
            randoms.add(exec(vm, "sh", "-c", "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'"));
            // The pinned host key: vm ssh checks it strictly, so a child still serving its parent's key fails here.
            assertThat(ns.ok(CLI, "vm", "ssh", vm, "--", "cat", "/etc/hostname").stdout().strip()).isEqualTo(vm);
        }
        assertThat(macs).as("MACs").hasSize(4);
        assertThat(ips).as("addresses").hasSize(4);
        assertThat(machineIds).as("machine ids").hasSize(4);
        assertThat(randoms).as("32 bytes of /dev/urandom").hasSize(4);
        assertThat(exec("parent-1", "getent", "hosts", "parent-2.vm")).as("children resolve each other")
                .contains(show("parent-2").at("/runtime/guest_ip").asText());

        String layer = fork.get("snapshot").asText();
        JsonNode snap = ns.ok(CLI, "snapshot", "show", layer, "--json").json();
        assertThat(snap.get("kind").asText()).isEqualTo("fork");
        assertThat(snap.get("used_by")).hasSize(3);
        for (String child : all.subList(1, 4)) {
            ns.ok(CLI, "vm", "delete", "--force", child);
        }
        assertThat(ns.banger(CLI, "snapshot", "show", layer).exitCode()).as("the fork's layer goes with its last child").isNotZero();
        ns.ok(CLI, "vm", "exec", "parent", "--", "true");
    }

    @Test
    @Order(2)
    void aSnapshotResumesInANewVmAndIsKeptWhileThatVmLiesOverIt() {
        exec("parent", "sh", "-c", "echo kept-in-memory > /dev/shm/marker; echo kept-on-disk > /root/marker; sync");
        JsonNode snap = ns.ok(CLI, "vm", "snapshot", "parent", "--name", "before", "--json").json();
        assertThat(snap.get("state").asText()).isEqualTo("ready");
        assertThat(snap.get("size_bytes").asLong()).isPositive();
        assertThat(snap.get("state_bytes").asLong()).as("zero pages take no space: under the 512 MiB of memory")
                .isPositive().isLessThan(512L << 20);
        assertThat(snap.get("vmm").asText()).isEqualTo("qemu");
        assertThat(snap.get("machine").asText()).isEqualTo("microvm");
        assertThat(snap.get("vmm_version").asText()).isNotBlank();
        ns.ok(CLI, "vm", "exec", "parent", "--", "true"); // the parent runs on

        assertThat(ns.ok(BOOT, "vm", "create", "--from", "before", "--name", "restored").stdout()).contains("resumed VM restored");
        assertThat(exec("restored", "cat", "/dev/shm/marker")).isEqualTo("kept-in-memory");
        assertThat(exec("restored", "cat", "/root/marker")).isEqualTo("kept-on-disk");
        assertThat(exec("restored", "hostname")).isEqualTo("restored");

        BangerHome.Result refused = ns.banger(CLI, "snapshot", "rm", "before");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("restored").contains("delete");
        BangerHome.Result wrongSpec = ns.banger(CLI, "vm", "create", "--from", "before", "--memory", "1G", "--name", "wrong");
        assertThat(wrongSpec.exitCode()).isNotZero();
        assertThat(wrongSpec.stderr()).contains("--memory");
        assertThat(ns.banger(CLI, "vm", "show", "wrong").exitCode()).as("nothing half-made").isNotZero();

        // A restart boots the VM's own disks, which lie over the snapshot's.
        ns.ok(CLI, "vm", "stop", "restored");
        ns.ok(BOOT, "vm", "start", "restored");
        assertThat(exec("restored", "cat", "/root/marker")).isEqualTo("kept-on-disk");
        ns.ok(CLI, "vm", "delete", "--force", "restored");
        ns.ok(CLI, "snapshot", "rm", "before");
        assertThat(ns.ok(CLI, "snapshot", "list", "--json").json().get("snapshots")).isEmpty();
        assertThat(ns.snapshotDirectories()).isEmpty();
    }

    @Test
    @Order(3)
    void aTemplateMakesVmRunResumeColdBootsAndAChangedKeyBootsColdOnce() {
        JsonNode template = ns.ok(Duration.ofMinutes(6), "image", "warm", "debian-bookworm", "--json").json();
        assertThat(template.get("kind").asText()).isEqualTo("template");
        assertThat(ns.ok(CLI, "vm", "list").stdout()).as("the template's own VM is gone").doesNotContain("warm-");

        BangerHome.Result warm = ns.ok(BOOT, "vm", "run", "--name", "quick", "--", "cat", "/etc/hostname");
        assertThat(warm.stdout().strip()).isEqualTo("quick");
        assertThat(warm.stderr()).doesNotContain("booting cold");
        assertThat(show("quick").at("/runtime/from_snapshot").asText()).isEqualTo(template.get("id").asText());

        BangerHome.Result cold = ns.ok(BOOT, "vm", "run", "--cold", "--name", "slow", "--", "cat", "/etc/hostname");
        assertThat(cold.stdout().strip()).isEqualTo("slow");
        assertThat(show("slow").at("/runtime/from_snapshot").isNull()).isTrue();

        // Another default memory size is another key: the next run boots cold (once: auto_template remakes it).
        ns.restartDaemon("[defaults]\nmemory = \"640M\"\n[snapshots]\nauto_template = true\n");
        BangerHome.Result changed = ns.ok(BOOT, "vm", "run", "--name", "changed", "--", "true");
        assertThat(changed.stderr()).contains("booting cold");
        assertThat(BangerHome.await(Duration.ofMinutes(5), () -> ns.ok(CLI, "snapshot", "list", "--json").json().get("snapshots")
                .findValuesAsText("memory_mib").contains("640"))).as("the new template, made in the background").isTrue();
        assertThat(BangerHome.await(Duration.ofMinutes(2), () -> !ns.ok(CLI, "vm", "list").stdout().contains("warm-")))
                .as("its VM deleted").isTrue();
        BangerHome.Result again = ns.ok(BOOT, "vm", "run", "--name", "again", "--", "true");
        assertThat(again.stderr()).doesNotContain("booting cold");
        for (String vm : List.of("quick", "slow", "changed", "again")) {
            ns.ok(CLI, "vm", "delete", "--force", vm);
        }
    }
}
