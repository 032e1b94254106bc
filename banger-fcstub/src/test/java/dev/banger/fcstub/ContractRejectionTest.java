package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests the contract refuses: 400 with a fault_message that says why, and each one recorded. */
class ContractRejectionTest {
    @TempDir
    Path dir;
    StubHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new StubHarness(dir);
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    @Test
    void unknownFieldIsNamed() {
        ApiClient.Reply r = h.api.put("/drives/root", json("{'drive_id':'root','path_on_host':'" + h.rootfs
                + "','is_root_device':true,'is_read_only':false,'readonly':true}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("not allowed").contains("readonly");
    }

    @Test
    void unknownNestedFieldIsNamed() {
        ApiClient.Reply r = h.api.put("/drives/root", json("{'drive_id':'root','path_on_host':'" + h.rootfs
                + "','is_root_device':true,'rate_limiter':{'bandwidth':{'size':1,'refill_time':1,'burst':5}}}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("burst");
    }

    @Test
    void missingRequiredFieldIsNamed() {
        ApiClient.Reply r = h.api.put("/drives/root", json("{'drive_id':'root','path_on_host':'" + h.rootfs + "'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("missing required").contains("is_root_device");
    }

    @Test
    void wrongTypeIsRefused() {
        ApiClient.Reply r = h.api.put("/machine-config", json("{'vcpu_count':'2','mem_size_mib':512}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("vcpu_count").contains("integer");
    }

    @Test
    void outOfRangeIsRefused() {
        ApiClient.Reply r = h.api.put("/machine-config", json("{'vcpu_count':33,'mem_size_mib':512}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("maximum");
    }

    @Test
    void unknownPathIsRefused() {
        ApiClient.Reply r = h.api.put("/disks/root", "{}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("No API path found").contains("/disks/root");
    }

    @Test
    void unknownMethodIsRefused() {
        ApiClient.Reply r = h.api.send("DELETE", "/drives/root", null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("DELETE operation not allowed");
    }

    @Test
    void badActionTypeIsRefused() {
        ApiClient.Reply r = h.api.put("/actions", json("{'action_type':'Reboot'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("Reboot").contains("enum");
    }

    @Test
    void badJsonAndMissingBodyAreRefused() {
        assertThat(h.api.put("/actions", "{action_type").status()).isEqualTo(400);
        ApiClient.Reply none = h.api.put("/actions", null);
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.fault()).contains("body is required");
        // the contract does not require a body for PUT /machine-config, Firecracker's parser does
        assertThat(h.api.put("/machine-config", null).status()).isEqualTo(400);
    }

    @Test
    void queryParametersAreRefused() {
        assertThat(h.api.get("/?verbose=1").status()).isEqualTo(400);
    }

    @Test
    void unimplementedOperationsSaySo() {
        ApiClient.Reply r = h.api.put("/balloon", json("{'amount_mib':1,'deflate_on_oom':true}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("does not implement PUT /balloon");
    }

    @Test
    void refusedRequestsAreRecordedToo() {
        h.api.put("/nope", json("{'a':1}"));
        h.api.put("/actions", "not json");
        assertThat(h.stub.requests()).extracting(Recorded::path, Recorded::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("/nope", 400), org.assertj.core.groups.Tuple.tuple("/actions", 400));
        assertThat(h.stub.requests().get(0).body().get("a").asInt()).isEqualTo(1);
        assertThat(h.stub.requests().get(1).body().asText()).isEqualTo("not json");
    }
}
