package dev.banger.fcstub;

import static dev.banger.fcstub.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreBootSequenceTest {
    @TempDir
    Path dir;

    @Test
    void bangersFullSequenceIsAcceptedAndRecorded() throws Exception {
        try (StubHarness h = new StubHarness(dir)) {
            assertThat(h.api.get("/").body().get("state").asText()).isEqualTo("Not started");
            List<String> paths = h.configure();
            h.instanceStart();

            ApiClient.Reply info = h.api.get("/");
            assertThat(info.status()).isEqualTo(200);
            assertThat(info.body().get("state").asText()).isEqualTo("Running");
            assertThat(info.body().get("id").asText()).isEqualTo("abc123def456");
            assertThat(info.body().get("app_name").asText()).isEqualTo("Firecracker");
            assertThat(info.body().get("vmm_version").asText()).isEqualTo(ApiContract.shared().version());
            assertThat(h.stub.started()).isTrue();
            assertThat(h.stub.guestRunning()).isTrue();

            List<Recorded> rec = h.stub.requests();
            assertThat(rec).extracting(Recorded::path).containsExactly(concat("/", paths, "/actions", "/"));
            assertThat(rec).extracting(Recorded::status).containsExactly(200, 204, 204, 204, 204, 204, 204, 204, 204, 204, 200);
            assertThat(rec.get(5).method()).isEqualTo("PUT");
            assertThat(rec.get(5).body().get("path_on_host").asText()).isEqualTo(h.rootfs.toString());
            assertThat(rec.get(0).body()).isNull();

            // the same, line by line, in the file beside the socket
            List<String> lines = Files.readAllLines(dir.resolve("fcstub-requests.jsonl"));
            assertThat(lines).hasSize(rec.size());
            JsonNode start = ApiClient.JSON.readTree(lines.get(9));
            assertThat(start.get("method").asText()).isEqualTo("PUT");
            assertThat(start.get("path").asText()).isEqualTo("/actions");
            assertThat(start.get("body").get("action_type").asText()).isEqualTo("InstanceStart");
            assertThat(start.get("status").asInt()).isEqualTo(204);
            assertThat(ApiClient.JSON.readTree(lines.get(0)).get("body").isNull()).isTrue();

            // the vsock socket is bound, as Firecracker binds it on PUT /vsock
            assertThat(h.vsockPath).exists();
            // the logger file gets Firecracker-like lines
            assertThat(Files.readString(h.logFile)).contains("Running Firecracker v").contains("\"/actions\"");
        }
        assertThat(dir.resolve("api.sock")).doesNotExist();
        assertThat(dir.resolve("vsock.sock")).doesNotExist();
    }

    @Test
    void answersConformToTheContract() throws Exception {
        ApiContract contract = ApiContract.shared();
        try (StubHarness h = new StubHarness(dir)) {
            h.configure();
            for (String path : List.of("/", "/version", "/machine-config", "/vm/config")) {
                ApiClient.Reply r = h.api.get(path);
                assertThat(r.status()).isEqualTo(200);
                assertThat(contract.responseViolations("GET", path, 200, r.body().toString())).as(path).isEmpty();
            }
            ApiClient.Reply bad = h.api.put("/drives/x", "{}");
            assertThat(contract.responseViolations("PUT", "/drives/x", 400, bad.body().toString())).isEmpty();
            // and the check itself can fail: a made-up state is not in InstanceInfo's enum
            assertThat(contract.responseViolations("GET", "/", 200, json(
                    "{'app_name':'Firecracker','id':'x','state':'Booting','vmm_version':'1'}"))).isNotEmpty();
        }
    }

    @Test
    void configurationIsReportedBack() throws Exception {
        try (StubHarness h = new StubHarness(dir)) {
            JsonNode defaults = h.api.get("/machine-config").body();
            assertThat(defaults.get("vcpu_count").asInt()).isEqualTo(1);
            assertThat(defaults.get("mem_size_mib").asInt()).isEqualTo(128);
            assertThat(defaults.get("smt").asBoolean()).isFalse();
            h.configure();
            JsonNode mc = h.api.get("/machine-config").body();
            assertThat(mc.get("vcpu_count").asInt()).isEqualTo(2);
            assertThat(mc.get("mem_size_mib").asInt()).isEqualTo(512);
            JsonNode full = h.api.get("/vm/config").body();
            assertThat(full.get("drives")).extracting(d -> d.get("drive_id").asText()).containsExactly("root", "config", "work");
            assertThat(full.get("boot-source").get("kernel_image_path").asText()).isEqualTo(h.kernel.toString());
            assertThat(full.get("vsock").get("guest_cid").asInt()).isEqualTo(3);
            assertThat(h.api.get("/version").body().get("firecracker_version").asText()).isEqualTo(ApiContract.shared().version());
        }
    }

    @Test
    void patchMachineConfigKeepsWhatItDoesNotName() throws Exception {
        try (StubHarness h = new StubHarness(dir)) {
            StubHarness.expect204(h.api.put("/machine-config", json("{'vcpu_count':2,'mem_size_mib':256,'smt':true}")));
            StubHarness.expect204(h.api.patch("/machine-config", json("{'vcpu_count':4,'mem_size_mib':512}")));
            JsonNode mc = h.api.get("/machine-config").body();
            assertThat(mc.get("vcpu_count").asInt()).isEqualTo(4);
            assertThat(mc.get("mem_size_mib").asInt()).isEqualTo(512);
            assertThat(mc.get("smt").asBoolean()).isTrue();
        }
    }

    @Test
    void flushMetricsWritesALine() throws Exception {
        try (StubHarness h = new StubHarness(dir)) {
            h.configure();
            h.instanceStart();
            StubHarness.expect204(h.api.put("/actions", json("{'action_type':'FlushMetrics'}")));
            String metrics = Files.readString(h.metricsFile);
            assertThat(metrics.lines()).hasSize(1);
            assertThat(ApiClient.JSON.readTree(metrics).get("utc_timestamp_ms").asLong()).isPositive();
        }
    }

    @Test
    void vsockConnectionsWaitForTheGuestThenReachIt() throws Exception {
        try (ServerSocket guest = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()); StubHarness h = new StubHarness(dir)) {
            h.configure();
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(h.vsockPath));
                c.write(ByteBuffer.wrap(("CONNECT " + guest.getLocalPort() + "\n").getBytes(StandardCharsets.US_ASCII)));
                CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> firstLine(c));
                Thread.sleep(300);
                assertThat(answer).as("no answer before the guest runs").isNotDone();
                h.instanceStart();
                assertThat(answer.get(10, TimeUnit.SECONDS)).matches("OK [0-9]+");
            }
        }
    }

    private static String firstLine(SocketChannel c) {
        try {
            InputStream in = Channels.newInputStream(c);
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                sb.append((char) b);
            }
            return sb.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] concat(String first, List<String> middle, String... last) {
        List<String> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(middle);
        all.addAll(List.of(last));
        return all.toArray(String[]::new);
    }
}
