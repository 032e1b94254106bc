package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Firecracker's snapshot API as the stub enforces it (no guest: the files carry the header alone): PATCH /vm only
 * after start, /snapshot/create only while paused, /snapshot/load only on a fresh process, the overrides the
 * contract allows, and a load that fails past its checks ending the process, as Firecracker's does.
 */
class SnapshotApiTest {
    static final String BEFORE = "The requested operation is not supported before starting the microVM.";
    static final String AFTER = "The requested operation is not supported after starting the microVM.";

    @TempDir
    Path dir;
    StubHarness parent;
    Path snap;

    @BeforeEach
    void start() throws Exception {
        parent = new StubHarness(Files.createDirectories(dir.resolve("parent")));
        snap = Files.createDirectories(dir.resolve("snap"));
    }

    @AfterEach
    void stop() {
        parent.close();
    }

    private void startParent() {
        parent.configure();
        StubHarness.expect204(parent.api.put("/network-interfaces/eth0", json("{'iface_id':'eth0','host_dev_name':'lo','guest_mac':'06:00:ac:10:00:02'}")));
        parent.instanceStart();
    }

    private String state(StubHarness h) {
        return h.api.get("/").body().get("state").asText();
    }

    private ApiClient.Reply create(ApiClient api, String type) {
        return api.put("/snapshot/create", json("{'snapshot_type':'" + type + "','snapshot_path':'" + snap.resolve("vmstate")
                + "','mem_file_path':'" + snap.resolve("memory") + "'}"));
    }

    private void snapshotParent() {
        startParent();
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Paused'}")));
        StubHarness.expect204(create(parent.api, "Full"));
    }

    private String load(StubHarness child, boolean resume) {
        return json("{'snapshot_path':'" + snap.resolve("vmstate") + "','mem_backend':{'backend_type':'File','backend_path':'"
                + snap.resolve("memory") + "'},'resume_vm':" + resume + ",'network_overrides':[{'iface_id':'eth0','host_dev_name':'lo'}],"
                + "'vsock_override':{'uds_path':'" + child.vsockPath + "'}}");
    }

    @Test
    void pauseAndResumeOnlyAfterStartAndEachAgainIsFine() {
        assertThat(parent.api.patch("/vm", json("{'state':'Paused'}")).fault()).isEqualTo(BEFORE);
        startParent();
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Paused'}")));
        assertThat(state(parent)).isEqualTo("Paused");
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Paused'}")));
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Resumed'}")));
        assertThat(state(parent)).isEqualTo("Running");
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Resumed'}")));
        // the contract's enum and its Vm schema: nothing else is a state, nothing else is in the body
        assertThat(parent.api.patch("/vm", json("{'state':'Stopped'}")).status()).isEqualTo(400);
        assertThat(parent.api.patch("/vm", json("{'state':'Paused','force':true}")).status()).isEqualTo(400);
        assertThat(parent.api.put("/vm", json("{'state':'Paused'}")).status()).isEqualTo(400);
        // GET / in both states is what the contract says an InstanceInfo is
        assertThat(ApiContract.shared().responseViolations("GET", "/", 200, parent.api.get("/").body().toString())).isEmpty();
    }

    @Test
    void createOnlyWhilePausedAndOnlyFull() {
        assertThat(create(parent.api, "Full").fault()).isEqualTo(BEFORE);
        startParent();
        assertThat(create(parent.api, "Full").fault()).contains("unavailable while running");
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Paused'}")));
        assertThat(create(parent.api, "Diff").fault()).contains("dirty page tracking disabled");
        assertThat(parent.api.put("/snapshot/create", json("{'snapshot_path':'" + dir.resolve("nowhere/vmstate") + "','mem_file_path':'"
                + snap.resolve("memory") + "'}")).fault()).contains("No such file or directory");
        assertThat(parent.api.put("/snapshot/create", json("{'snapshot_path':'" + snap + "','mem_file_path':'"
                + snap.resolve("memory") + "'}")).fault()).contains("Is a directory");
        assertThat(parent.api.put("/snapshot/create", json("{'snapshot_path':'" + snap.resolve("x") + "','mem_file_path':'"
                + snap.resolve("x") + "'}")).status()).isEqualTo(400);
        assertThat(parent.api.put("/snapshot/create", json("{'snapshot_path':'" + snap.resolve("x") + "'}")).status())
                .as("mem_file_path is required").isEqualTo(400);
        assertThat(snap).isEmptyDirectory();
        StubHarness.expect204(create(parent.api, "Full"));
        assertThat(state(parent)).as("a snapshot leaves the guest paused").isEqualTo("Paused");
    }

    @Test
    void theFilesAreTheHeaderedStateAndAMemoryFileOfTheGuestsSize() throws Exception {
        snapshotParent();
        String header = Files.readAllLines(snap.resolve("vmstate"), StandardCharsets.UTF_8).getFirst();
        JsonNode h = ApiClient.JSON.readTree(header);
        assertThat(h.get("banger_fcstub_vmstate").asInt()).isEqualTo(1);
        assertThat(h.at("/config/drives/0/path_on_host").asText()).isEqualTo(parent.rootfs.toString());
        assertThat(h.at("/config/network-interfaces/0/host_dev_name").asText()).isEqualTo("lo");
        assertThat(Files.size(snap.resolve("memory"))).as("512 MiB, as Firecracker's memory file").isEqualTo(512L << 20);
        assertThat(Files.readAllLines(snap.resolve("memory"), StandardCharsets.ISO_8859_1).getFirst())
                .contains(h.get("snapshot_id").asText());
        // a second create over the same files replaces them, as Firecracker truncates
        StubHarness.expect204(create(parent.api, "Full"));
        assertThat(ApiClient.JSON.readTree(Files.readAllLines(snap.resolve("vmstate")).getFirst()).get("snapshot_id").asText())
                .isNotEqualTo(h.get("snapshot_id").asText());
    }

    @Test
    void aLoadResumesWithTheOverridesAndTheDrivesPatchedBeforeTheGuestRuns() throws Exception {
        snapshotParent();
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            StubHarness.expect204(child.api.put("/logger", json("{'log_path':'" + child.logFile + "','level':'Info'}")));
            StubHarness.expect204(child.api.put("/metrics", json("{'metrics_path':'" + child.metricsFile + "'}")));
            StubHarness.expect204(child.api.put("/snapshot/load", load(child, false)));
            assertThat(state(child)).isEqualTo("Paused");
            assertThat(child.vsockPath).as("the vsock device's socket, at the override").exists();
            assertThat(child.api.put("/drives/root", StubHarness.drive("root", child.rootfs, true, false)).fault()).isEqualTo(AFTER);
            StubHarness.expect204(child.api.patch("/drives/root", json("{'drive_id':'root','path_on_host':'" + child.rootfs + "'}")));
            StubHarness.expect204(child.api.patch("/drives/config", json("{'drive_id':'config','path_on_host':'" + child.configDrive + "'}")));
            StubHarness.expect204(child.api.patch("/drives/work", json("{'drive_id':'work','path_on_host':'" + child.workDisk + "'}")));
            StubHarness.expect204(child.api.patch("/vm", json("{'state':'Resumed'}")));
            assertThat(state(child)).isEqualTo("Running");
            assertThat(child.stub.guestRunning()).isTrue();

            JsonNode c = child.api.get("/vm/config").body();
            assertThat(c.has("boot-source")).as("not shown after a restore, as the contract says").isFalse();
            assertThat(c.at("/machine-config/mem_size_mib").asInt()).isEqualTo(512);
            assertThat(c.at("/machine-config").has("smt")).isFalse();
            assertThat(c.at("/drives/0/path_on_host").asText()).isEqualTo(child.rootfs.toString());
            assertThat(c.at("/vsock/uds_path").asText()).isEqualTo(child.vsockPath.toString());
            assertThat(c.at("/vsock/guest_cid").asInt()).as("the guest's CID is the snapshot's").isEqualTo(3);
            assertThat(c.at("/network-interfaces/0/guest_mac").asText()).isEqualTo("06:00:ac:10:00:02");
            assertThat(ApiContract.shared().responseViolations("GET", "/vm/config", 200, c.toString())).isEmpty();
            assertThat(child.stub.requests()).extracting(r -> r.method() + " " + r.path() + " " + r.status()).containsExactly(
                    "PUT /logger 204", "PUT /metrics 204", "PUT /snapshot/load 204", "GET / 200", "PUT /drives/root 400",
                    "PATCH /drives/root 204", "PATCH /drives/config 204", "PATCH /drives/work 204", "PATCH /vm 204", "GET / 200",
                    "GET /vm/config 200");
        }
    }

    @Test
    void resumeVmTrueRunsAtOnce() throws Exception {
        snapshotParent();
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            StubHarness.expect204(child.api.put("/snapshot/load", load(child, true)));
            assertThat(state(child)).isEqualTo("Running");
        }
    }

    @Test
    void aLoadOnlyOnAFreshProcess() throws Exception {
        snapshotParent();
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            StubHarness.expect204(child.api.put("/machine-config", json("{'vcpu_count':2,'mem_size_mib':512}")));
            assertThat(child.api.put("/snapshot/load", load(child, false)).fault())
                    .isEqualTo("Loading a microVM snapshot not allowed after configuring boot-specific resources.");
            assertThat(child.stub.awaitExit(Duration.ofMillis(500))).as("a refusal, not a failure: the process goes on").isEmpty();
        }
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child2")))) {
            child.configure();
            child.instanceStart();
            assertThat(child.api.put("/snapshot/load", load(child, false)).fault()).isEqualTo(AFTER);
        }
    }

    @Test
    void exactlyOneMemorySourceAndNoUnknownFields() throws Exception {
        snapshotParent();
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            String vmstate = snap.resolve("vmstate").toString();
            assertThat(child.api.put("/snapshot/load", json("{'snapshot_path':'" + vmstate + "'}")).fault()).contains("missing field");
            assertThat(child.api.put("/snapshot/load", json("{'snapshot_path':'" + vmstate + "','mem_file_path':'" + snap.resolve("memory")
                    + "','mem_backend':{'backend_type':'File','backend_path':'" + snap.resolve("memory") + "'}}")).fault()).contains("too many fields");
            assertThat(child.api.put("/snapshot/load", json("{'snapshot_path':'" + vmstate + "','mem_backend':{'backend_type':'Disk','backend_path':'x'}}"))
                    .status()).as("the contract's enum").isEqualTo(400);
            assertThat(child.api.put("/snapshot/load", json("{'snapshot_path':'" + vmstate + "','mem_file_path':'x','drive_overrides':[]}"))
                    .status()).as("the contract has no drive override").isEqualTo(400);
            assertThat(child.api.put("/snapshot/load", json("{'snapshot_path':'" + vmstate + "','mem_file_path':'x',"
                    + "'network_overrides':[{'iface_id':'eth0'}]}")).status()).as("host_dev_name is required").isEqualTo(400);
            assertThat(child.stub.awaitExit(Duration.ofMillis(300))).as("request errors are not fatal").isEmpty();
            assertThat(state(child)).isEqualTo("Not started");
        }
    }

    @Test
    void aLoadWhoseDriveIsGoneFailsAndEndsTheProcess() throws Exception {
        snapshotParent();
        Files.delete(parent.workDisk);
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            ApiClient.Reply r = child.api.put("/snapshot/load", load(child, false));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.fault()).contains("Error manipulating the backing file").contains(parent.workDisk.toString());
            assertThat(child.stub.awaitExit(Duration.ofSeconds(5))).hasValue(1);
        }
    }

    @Test
    void theMemoryFileMustBeTheStatesOwn() throws Exception {
        snapshotParent();
        Files.move(snap.resolve("memory"), snap.resolve("memory.first"));
        StubHarness.expect204(create(parent.api, "Full"));
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            ApiClient.Reply r = child.api.put("/snapshot/load", json("{'snapshot_path':'" + snap.resolve("vmstate")
                    + "','mem_backend':{'backend_type':'File','backend_path':'" + snap.resolve("memory.first") + "'}}"));
            assertThat(r.fault()).contains("Failed to load guest memory").contains("another snapshot");
            assertThat(child.stub.awaitExit(Duration.ofSeconds(5))).hasValue(1);
        }
    }

    @Test
    void withoutAVsockOverrideTheSnapshottedSocketMustBeFree() throws Exception {
        snapshotParent(); // the parent still runs, and holds its vsock socket
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            ApiClient.Reply r = child.api.put("/snapshot/load", json("{'snapshot_path':'" + snap.resolve("vmstate")
                    + "','mem_backend':{'backend_type':'File','backend_path':'" + snap.resolve("memory") + "'}}"));
            assertThat(r.fault()).contains("Vsock").contains("Address in use").contains(parent.vsockPath.toString());
            assertThat(child.stub.awaitExit(Duration.ofSeconds(5))).hasValue(1);
        }
    }

    @Test
    void anOverrideOfAnInterfaceTheSnapshotLacksFails() throws Exception {
        snapshotParent();
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            ApiClient.Reply r = child.api.put("/snapshot/load", json("{'snapshot_path':'" + snap.resolve("vmstate")
                    + "','mem_backend':{'backend_type':'File','backend_path':'" + snap.resolve("memory") + "'},"
                    + "'network_overrides':[{'iface_id':'eth1','host_dev_name':'lo'}],'vsock_override':{'uds_path':'" + child.vsockPath + "'}}"));
            assertThat(r.fault()).contains("no network interface eth1");
            assertThat(child.stub.awaitExit(Duration.ofSeconds(5))).hasValue(1);
        }
    }

    @Test
    void aFileThatIsNoStateFails() throws Exception {
        try (StubHarness child = new StubHarness(Files.createDirectories(dir.resolve("child")))) {
            Path junk = Files.writeString(snap.resolve("junk"), "not a state\n");
            ApiClient.Reply r = child.api.put("/snapshot/load", json("{'snapshot_path':'" + junk + "','mem_file_path':'" + junk + "'}"));
            assertThat(r.fault()).startsWith("Load snapshot error: Failed to restore from snapshot: Failed to get snapshot state from file");
            assertThat(child.stub.awaitExit(Duration.ofSeconds(5))).hasValue(1);
        }
    }

    @Test
    void theRecordedSaveSequence() {
        snapshotParent();
        StubHarness.expect204(parent.api.patch("/vm", json("{'state':'Resumed'}")));
        List<Recorded> rec = parent.stub.requests();
        assertThat(rec.subList(rec.size() - 3, rec.size())).extracting(r -> r.method() + " " + r.path() + " " + r.status())
                .containsExactly("PATCH /vm 204", "PUT /snapshot/create 204", "PATCH /vm 204");
    }
}
