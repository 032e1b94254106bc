package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** VM records through the real CLI: create, list, show, delete, and persistence across daemon restarts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class VmCliIT {
    private BangerHome home;

    @BeforeAll
    void startHome() {
        home = BangerHome.create();
        home.importPlaceholderImage();
    }

    @AfterAll
    void cleanUp() {
        home.close();
    }

    @Test
    void createListShowRoundTripWithJson() throws Exception {
        JsonNode created = home.ok("vm", "create", "--name", "web", "--cpus", "2", "--memory", "1G", "--work-disk", "8G", "--json").json();

        String id = created.get("id").asText();
        assertThat(id).matches("[0-9a-f]{12}");
        assertThat(created.at("/spec/name").asText()).isEqualTo("web");
        assertThat(created.at("/spec/vcpus").asInt()).isEqualTo(2);
        assertThat(created.at("/spec/memory_mib").asInt()).isEqualTo(1024);
        assertThat(created.at("/spec/work_disk_mib").asLong()).isEqualTo(8192);
        assertThat(created.at("/runtime/state").asText()).isEqualTo("stopped");
        assertThat(created.at("/runtime/guest_ip").asText()).startsWith("172.29.0.");
        assertThat(created.at("/runtime/dns_name").asText()).isEqualTo("web.vm");
        assertThat(created.at("/runtime/vsock_cid").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(Path.of(created.at("/runtime/vm_dir").asText())).isEqualTo(home.path().resolve("vms").resolve(id)).isDirectory();
        // The wire format is banger-api's VmRecord, snake_case.
        VmRecord record = Json.MAPPER.treeToValue(created, VmRecord.class);
        assertThat(record.state()).isEqualTo(VmState.STOPPED);

        JsonNode list = home.ok("vm", "list", "--json").json();
        assertThat(ids(list)).contains(id);

        JsonNode byName = home.ok("vm", "show", "web", "--json").json();
        assertThat(byName).isEqualTo(created);
        JsonNode byId = home.ok("vm", "show", id, "--json").json();
        assertThat(byId).isEqualTo(created);

        BangerHome.Result human = home.ok("vm", "show", "web");
        assertThat(human.stdout()).contains("Name:").contains("web").contains(id).contains("stopped");
    }

    @Test
    void humanListHasTheTableHeaderAndOneRowPerVm() {
        home.ok("vm", "create", "--name", "tabled", "--cpus", "3", "--memory", "768M");

        List<String> lines = home.ok("vm", "list").stdout().lines().toList();

        assertThat(lines.getFirst()).matches("NAME\\s+STATE\\s+IP\\s+DNS\\s+IMAGE\\s+CPUS\\s+MEMORY\\s+AGE");
        assertThat(lines).anySatisfy(line -> assertThat(line.split("\\s+"))
                .containsSubsequence("tabled", "stopped")
                .contains("tabled.vm", "3", "768M", "debian-bookworm"));
    }

    @Test
    void deleteThroughRpcRemovesTheVm() {
        JsonNode created = home.ok("vm", "create", "--name", "doomed-rpc", "--json").json();
        Path vmDir = Path.of(created.at("/runtime/vm_dir").asText());
        assertThat(vmDir).isDirectory();

        try (RpcConnection rpc = home.connect()) {
            JsonNode deleted = rpc.call("vm.delete", "{\"vm\":\"doomed-rpc\",\"force\":false}");
            assertThat(deleted.has("error")).as("%s", deleted).isFalse();
            assertThat(deleted.at("/result/name").asText()).isEqualTo("doomed-rpc");
            assertThat(deleted.at("/result/id").asText()).isEqualTo(created.get("id").asText());
        }

        assertThat(names(home.ok("vm", "list", "--json").json())).doesNotContain("doomed-rpc");
        assertThat(vmDir).doesNotExist();
        BangerHome.Result show = home.banger("vm", "show", "doomed-rpc");
        assertThat(show.exitCode()).as("%s", show).isEqualTo(1);
        assertThat(show.stderr()).contains("no VM named 'doomed-rpc'");
    }

    @Test
    void deleteThroughRpcWithoutForceDefaultsToNoForce() {
        home.ok("vm", "create", "--name", "doomed-noforce");

        try (RpcConnection rpc = home.connect()) {
            JsonNode deleted = rpc.call("vm.delete", "{\"vm\":\"doomed-noforce\"}");
            assertThat(deleted.has("error")).as("%s", deleted).isFalse();
            assertThat(deleted.at("/result/name").asText()).isEqualTo("doomed-noforce");
        }
    }

    @Test
    void deleteThroughTheCliRemovesTheVm() {
        JsonNode created = home.ok("vm", "create", "--name", "doomed", "--json").json();
        Path vmDir = Path.of(created.at("/runtime/vm_dir").asText());
        home.ok("vm", "create", "--name", "doomed-too");

        BangerHome.Result delete = home.ok("vm", "delete", "doomed");
        assertThat(delete.stdout()).contains("deleted VM doomed");
        assertThat(vmDir).doesNotExist();
        home.ok("vm", "rm", "doomed-too");

        assertThat(names(home.ok("vm", "list", "--json").json())).doesNotContain("doomed", "doomed-too");
        assertThat(home.banger("vm", "show", "doomed").exitCode()).isEqualTo(1);

        home.ok("vm", "create", "--name", "pair-a");
        home.ok("vm", "create", "--name", "pair-b");
        BangerHome.Result two = home.ok("vm", "delete", "pair-a", "pair-b");
        assertThat(two.stdout()).contains("deleted VM pair-a").contains("deleted VM pair-b");
    }

    @Test
    void recordsSurviveDaemonStopAndTheNextCommandRestartsIt() {
        JsonNode created = home.ok("vm", "create", "--name", "durable", "--json").json();
        long before = home.daemonPid();

        home.ok("daemon", "stop");
        assertThat(home.socket()).doesNotExist();
        assertThat(home.daemons()).isEmpty();

        JsonNode list = home.ok("vm", "list", "--json").json();
        JsonNode durable = null;
        for (JsonNode vm : list.get("vms")) {
            if (vm.at("/spec/name").asText().equals("durable")) {
                durable = vm;
            }
        }
        assertThat(durable).as("'durable' in %s", list).isNotNull();
        assertThat(durable).isEqualTo(created);
        long after = home.daemonPid();
        assertThat(after).as("a new daemon serves after the restart").isNotEqualTo(before);
        assertThat(home.daemons()).hasSize(1);
    }

    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        list.get("vms").forEach(vm -> ids.add(vm.get("id").asText()));
        return ids;
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.get("vms").forEach(vm -> names.add(vm.at("/spec/name").asText()));
        return names;
    }
}
