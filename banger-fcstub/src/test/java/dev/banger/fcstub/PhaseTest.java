package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Firecracker's two phases: configuration before InstanceStart, a short list of operations after. */
class PhaseTest {
    static final String AFTER = "The requested operation is not supported after starting the microVM.";

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
    void configurationAfterStartIsRefusedWithFirecrackersMessage() {
        h.configure();
        h.instanceStart();
        ApiClient.Reply boot = h.api.put("/boot-source", json("{'kernel_image_path':'" + h.kernel + "'}"));
        assertThat(boot.status()).isEqualTo(400);
        assertThat(boot.fault()).isEqualTo(AFTER);
        assertThat(h.api.put("/drives/root", StubHarness.drive("root", h.rootfs, true, false)).fault()).isEqualTo(AFTER);
        assertThat(h.api.put("/machine-config", json("{'vcpu_count':1,'mem_size_mib':128}")).fault()).isEqualTo(AFTER);
        assertThat(h.api.patch("/machine-config", json("{'vcpu_count':1,'mem_size_mib':128}")).fault()).isEqualTo(AFTER);
        assertThat(h.api.put("/logger", json("{'level':'Info'}")).fault()).isEqualTo(AFTER);
        assertThat(h.api.put("/vsock", json("{'guest_cid':3,'uds_path':'" + dir.resolve("v2.sock") + "'}")).fault()).isEqualTo(AFTER);
        assertThat(h.api.put("/network-interfaces/eth0", json("{'iface_id':'eth0','host_dev_name':'lo'}")).fault()).isEqualTo(AFTER);
        // an operation the stub does not implement, marked "Pre-boot only" in the contract
        assertThat(h.api.put("/entropy", "{}").fault()).isEqualTo(AFTER);
    }

    @Test
    void runningOperationsAfterStart() {
        h.configure();
        h.instanceStart();
        StubHarness.expect204(h.api.patch("/drives/work", json("{'drive_id':'work','path_on_host':'" + h.configDrive + "'}")));
        assertThat(h.api.get("/vm/config").body().get("drives").get(2).get("path_on_host").asText()).isEqualTo(h.configDrive.toString());
        assertThat(h.api.patch("/drives/nope", json("{'drive_id':'nope'}")).status()).isEqualTo(400);
        assertThat(h.api.patch("/drives/work", json("{'drive_id':'root'}")).status()).isEqualTo(400);
        StubHarness.expect204(h.api.put("/actions", json("{'action_type':'FlushMetrics'}")));
        for (String p : new String[] {"/", "/version", "/machine-config", "/vm/config"}) {
            assertThat(h.api.get(p).status()).as(p).isEqualTo(200);
        }
    }

    @Test
    void patchingDevicesBeforeStartIsRefused() {
        h.configure();
        assertThat(h.api.patch("/drives/work", json("{'drive_id':'work'}")).fault())
                .isEqualTo("The requested operation is not supported before starting the microVM.");
    }

    @Test
    void ctrlAltDelBeforeStartIsRefused() {
        h.configure();
        ApiClient.Reply r = h.api.put("/actions", json("{'action_type':'SendCtrlAltDel'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("before starting");
        assertThat(h.stub.started()).isFalse();
    }

    @Test
    void instanceStartNeedsABootSource() {
        ApiClient.Reply r = h.api.put("/actions", json("{'action_type':'InstanceStart'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).contains("boot source");
        assertThat(h.api.get("/").body().get("state").asText()).isEqualTo("Not started");
    }

    @Test
    void secondInstanceStartIsRefused() {
        h.configure();
        h.instanceStart();
        ApiClient.Reply r = h.api.put("/actions", json("{'action_type':'InstanceStart'}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.fault()).isEqualTo(AFTER);
    }

    @Test
    void ctrlAltDelEndsTheStubLikeAGuestReset() throws Exception {
        h.configure();
        h.instanceStart();
        StubHarness.expect204(h.api.put("/actions", json("{'action_type':'SendCtrlAltDel'}")));
        OptionalInt status = h.stub.awaitExit(Duration.ofSeconds(5));
        assertThat(status).hasValue(0);
        assertThat(h.stub.guestRunning()).isFalse();
        assertThat(h.sock).doesNotExist();
        assertThat(h.vsockPath).doesNotExist();
        assertThat(dir.resolve("fcstub-requests.jsonl")).exists();
    }
}
