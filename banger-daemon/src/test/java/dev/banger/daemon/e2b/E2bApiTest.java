package dev.banger.daemon.e2b;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Params;
import dev.banger.core.e2b.E2bSettings;
import dev.banger.store.Database;
import dev.banger.store.E2bStore;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The E2B REST API over real HTTP on loopback, a real SQLite file and a fake backend (no VMs): what the SDK 2.51.0 sends,
 * and E2B's answers, status codes and error shape.
 */
class E2bApiTest {
    private static final String IMAGE = "debian-bookworm";

    @TempDir
    Path dir;
    private Database db;
    private E2bKeys keys;
    private E2bRoom room;
    private FakeBackend backend;
    private String key;
    private final HttpClient http = HttpClient.newHttpClient();
    private final SecureRandom random = new SecureRandom();

    /** VMs in a map; images by name; a create can be made to fail. */
    static final class FakeBackend implements SandboxBackend {
        final Map<String, Vm> vms = new ConcurrentHashMap<>();
        final AtomicInteger ids = new AtomicInteger();
        volatile RuntimeException failCreate;

        @Override
        public boolean imageExists(String image) {
            return image.equals(IMAGE) || image.equals("alpine");
        }

        @Override
        public Vm create(String image) {
            if (failCreate != null) {
                throw failCreate;
            }
            Vm vm = new Vm(String.format("%012x", ids.incrementAndGet()), true, 2, 512, 6144);
            vms.put(vm.id(), vm);
            return vm;
        }

        @Override
        public Optional<Vm> find(String id) {
            return Optional.ofNullable(vms.get(id));
        }

        @Override
        public void delete(String id) {
            vms.remove(id);
        }

        @Override
        public Vm resume(String id) {
            Vm vm = vms.get(id);
            Vm running = new Vm(vm.id(), true, vm.vcpus(), vm.memoryMib(), vm.diskMib());
            vms.put(id, running);
            return running;
        }

        @Override
        public List<Vm> fork(String id, int count) {
            List<Vm> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                out.add(create(IMAGE));
            }
            return out;
        }

        volatile RuntimeException failPause;

        @Override
        public void pause(String id) {
            if (failPause != null) {
                throw failPause;
            }
            Vm vm = vms.get(id);
            vms.put(id, new Vm(vm.id(), false, vm.vcpus(), vm.memoryMib(), vm.diskMib()));
        }

        /** A service on the host standing in for the guest's port 8080; other ports have nothing listening. */
        volatile int guestPort;

        @Override
        public dev.banger.daemon.publish.GuestConnection openPort(String id, int port) {
            if (port != 8080) {
                throw new dev.banger.api.BangerException(dev.banger.api.ErrorCode.AGENT_UNAVAILABLE, "nothing listens on port " + port);
            }
            try {
                return dev.banger.daemon.publish.GuestConnection.wrap(java.nio.channels.SocketChannel.open(
                        new java.net.InetSocketAddress("127.0.0.1", guestPort)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public Optional<Usage> usage(String id) {
            return vms.get(id).running() ? Optional.of(new Usage(12.5, 100L << 20, 300L << 20)) : Optional.empty();
        }
    }

    @BeforeEach
    void start() {
        db = Database.open(dir.resolve("state.db"));
        keys = new E2bKeys(db.e2b(), Clock.systemUTC(), random);
        backend = new FakeBackend();
        key = keys.create(new Params.E2bKeyCreate("test")).key();
        room = startRoom(3, 2);
    }

    private E2bRoom startRoom(int max, int perKey) {
        return E2bRoom.start(new E2bSettings("127.0.0.1", 0, "e2b.test", max, perKey, null, null), db.e2b(), keys, backend,
                new NoGuests(), IMAGE, dir.resolve("secret"), Clock.systemUTC(), random);
    }

    @AfterEach
    void stop() {
        room.close();
        db.close();
    }

    private record Answer(int status, JsonNode json) {
    }

    private Answer call(String method, String path, String body, String apiKey, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + room.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (apiKey != null) {
            b.header("X-API-KEY", apiKey); // the SDK's spelling; HTTP headers are case-insensitive
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? null : E2bWire.JSON.readTree(r.body()));
    }

    private Answer call(String method, String path, String body) throws IOException, InterruptedException {
        return call(method, path, body, key);
    }

    private static void assertError(Answer a, int status) {
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.json().get("code").asInt()).isEqualTo(status);
        assertThat(a.json().get("message").asText()).isNotBlank();
    }

    private String create(String body) throws Exception {
        Answer a = call("POST", "/v2/sandboxes", body);
        assertThat(a.status()).as(String.valueOf(a.json())).isEqualTo(201);
        return a.json().get("sandboxID").asText();
    }

    @Test
    void aWrongOrMissingKeyIs401InE2bsShape() throws Exception {
        assertError(call("GET", "/v2/sandboxes", null, null), 401);
        assertError(call("GET", "/v2/sandboxes", null, "e2b_" + "0".repeat(40)), 401);
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\"}", key.substring(0, 20)), 401);
        assertThat(call("GET", "/health", null, null).status()).isEqualTo(200);
        assertThat(call("GET", "/v2/sandboxes", null).status()).isEqualTo(200);
    }

    @Test
    void aRevokedKeyStopsWorking() throws Exception {
        String id = keys.list().keys().getFirst().id();
        assertThat(call("GET", "/v2/sandboxes", null).status()).isEqualTo(200);
        keys.revoke(new Params.E2bKeyRef(id));
        assertError(call("GET", "/v2/sandboxes", null), 401);
    }

    @Test
    void createGetListKillAsTheSdkDoes() throws Exception {
        Answer made = call("POST", "/v2/sandboxes", """
                {"templateID":"base","timeout":300,"metadata":{"user":"alice smith"},"envVars":{"A":"1"},
                 "mcp":null,"network":{},"allow_internet_access":true}""");
        assertThat(made.status()).isEqualTo(201);
        JsonNode s = made.json();
        String id = s.get("sandboxID").asText();
        assertThat(s.get("templateID").asText()).isEqualTo(IMAGE);
        assertThat(s.get("alias").asText()).isEqualTo("base");
        assertThat(s.get("clientID").asText()).isNotEmpty();
        assertThat(s.get("envdVersion").asText()).isEqualTo("0.5.7");
        assertThat(s.get("envdAccessToken").asText()).matches("[0-9a-f]{64}");
        assertThat(s.get("domain").asText()).isEqualTo("e2b.test");
        assertThat(backend.vms).containsKey(id);

        JsonNode detail = call("GET", "/sandboxes/" + id, null).json();
        assertThat(detail.get("state").asText()).isEqualTo("running");
        assertThat(detail.get("cpuCount").asInt()).isEqualTo(2);
        assertThat(detail.get("memoryMB").asInt()).isEqualTo(512);
        assertThat(detail.get("metadata").get("user").asText()).isEqualTo("alice smith");
        assertThat(detail.get("envdAccessToken").asText()).isEqualTo(s.get("envdAccessToken").asText());
        assertThat(Instant.parse(detail.get("endAt").asText())).isAfter(Instant.parse(detail.get("startedAt").asText()).plusSeconds(299));

        String other = create("{\"templateID\":\"alpine\",\"timeout\":300,\"metadata\":{\"user\":\"bob\"}}");
        assertThat(call("GET", "/v2/sandboxes", null).json()).hasSize(2);
        // The SDK's filter: URLSearchParams of encodeURIComponent'ed pairs, sent as one query parameter.
        String filter = "user=" + URLEncoder.encode("alice%20smith", StandardCharsets.UTF_8);
        JsonNode listed = call("GET", "/v2/sandboxes?metadata=" + URLEncoder.encode(filter, StandardCharsets.UTF_8)
                + "&state=running,paused", null).json();
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("sandboxID").asText()).isEqualTo(id);
        assertThat(listed.get(0).has("envdAccessToken")).isFalse();

        assertThat(call("DELETE", "/sandboxes/" + id, null).status()).isEqualTo(204);
        assertThat(backend.vms).doesNotContainKey(id).containsKey(other);
        assertError(call("GET", "/sandboxes/" + id, null), 404);
        assertError(call("DELETE", "/sandboxes/" + id, null), 404);
        assertThat(db.e2b().sandbox(id)).isEmpty();
    }

    @Test
    void anUnknownTemplateIs404() throws Exception {
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"nope\",\"timeout\":60}"), 404);
        assertThat(backend.vms).isEmpty();
    }

    @Test
    void overTheLimitsIs429() throws Exception {
        create("{\"templateID\":\"base\",\"timeout\":60}");
        create("{\"templateID\":\"base\",\"timeout\":60}");
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":60}"), 429); // per key: 2
        String second = keys.create(new Params.E2bKeyCreate("other")).key();
        assertThat(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":60}", second).status()).isEqualTo(201);
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":60}", second), 429); // in all: 3
        assertThat(backend.vms).hasSize(3);
    }

    @Test
    void badInputIsAnsweredAndTheListenerKeepsServing() throws Exception {
        assertError(call("POST", "/v2/sandboxes", "{not json"), 400);
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":-1}"), 400);
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":\"soon\"}"), 400);
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"autoPause\":true}"), 400);
        assertError(call("GET", "/nowhere", null), 404);
        assertError(call("PUT", "/v2/sandboxes", "{}"), 405);
        backend.failCreate = new IllegalStateException("no space");
        assertError(call("POST", "/v2/sandboxes", "{\"templateID\":\"base\"}"), 500);
        assertThat(db.e2b().sandboxes()).isEmpty();
        backend.failCreate = null;
        create("{\"templateID\":\"base\"}");
    }

    @Test
    void theTimeoutReaperKillsAtExpiry() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":1}");
        String kept = create("{\"templateID\":\"base\",\"timeout\":300}");
        waitGone(id);
        assertThat(db.e2b().sandbox(id)).isEmpty();
        assertThat(backend.vms).containsKey(kept);
    }

    @Test
    void setTimeoutMovesTheEndEitherWay() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        assertThat(call("POST", "/sandboxes/" + id + "/timeout", "{\"timeout\":3600}").status()).isEqualTo(204);
        Instant end = Instant.parse(call("GET", "/sandboxes/" + id, null).json().get("endAt").asText());
        assertThat(end).isAfter(Instant.now().plusSeconds(3500));
        assertError(call("POST", "/sandboxes/nope0/timeout", "{\"timeout\":10}"), 404);
        assertThat(call("POST", "/sandboxes/" + id + "/timeout", "{\"timeout\":1}").status()).isEqualTo(204);
        waitGone(id);
    }

    @Test
    void expiredSandboxesAreKilledAfterARestart() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        room.close();
        db.e2b().setEndAt(id, Instant.now().minusSeconds(1)); // its end passed while the daemon was down
        room = startRoom(3, 2);
        waitGone(id);
    }

    @Test
    void rowsWithoutAVmAreForgottenAtStart() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        room.close();
        backend.vms.remove(id); // 'banger vm rm' while the listener was off
        room = startRoom(3, 2);
        assertThat(db.e2b().sandbox(id)).isEmpty();
    }

    @Test
    void connectResumesAStoppedSandboxAndNeverShortensIt() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        Answer running = call("POST", "/v2/sandboxes/" + id + "/connect", "{\"timeout\":10}");
        assertThat(running.status()).isEqualTo(200);
        assertThat(running.json().get("sandboxID").asText()).isEqualTo(id);
        assertThat(running.json().get("envdAccessToken").asText()).matches("[0-9a-f]{64}");
        assertThat(Instant.parse(call("GET", "/sandboxes/" + id, null).json().get("endAt").asText()))
                .isAfter(Instant.now().plusSeconds(200));
        var vm = backend.vms.get(id);
        backend.vms.put(id, new SandboxBackend.Vm(id, false, vm.vcpus(), vm.memoryMib(), vm.diskMib()));
        assertThat(call("GET", "/sandboxes/" + id, null).json().get("state").asText()).isEqualTo("paused");
        assertThat(call("POST", "/v2/sandboxes/" + id + "/connect", "{\"timeout\":600}").status()).isEqualTo(201);
        assertThat(backend.vms.get(id).running()).isTrue();
        assertError(call("POST", "/v2/sandboxes/nope0/connect", "{\"timeout\":10}"), 404);
    }

    @Test
    void forkPauseMetricsAndEnvd() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300,\"metadata\":{\"k\":\"v\"}}");
        Answer forked = call("POST", "/sandboxes/" + id + "/fork", "{\"timeout\":60,\"count\":1}");
        assertThat(forked.status()).isEqualTo(201);
        String child = forked.json().get(0).get("sandbox").get("sandboxID").asText();
        assertThat(call("GET", "/sandboxes/" + child, null).json().get("metadata").get("k").asText()).isEqualTo("v");
        assertError(call("POST", "/sandboxes/" + id + "/fork", "{\"count\":1}"), 429); // the key's 2 are used
        Answer metrics = call("GET", "/sandboxes/" + id + "/metrics", null);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.json().isArray()).isTrue();
    }

    @Test
    void envdCallsNeedTheSandboxsOwnToken() throws Exception {
        JsonNode a = call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":300}").json();
        JsonNode b = call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":300}").json();
        String id = a.get("sandboxID").asText();
        String token = a.get("envdAccessToken").asText();
        String otherToken = b.get("envdAccessToken").asText();
        // envd's calls carry E2b-Sandbox-Id: a dispatch point of their own, not the REST API (no API key needed).
        assertThat(call("GET", "/health", null, null, "E2b-Sandbox-Id", id).status()).isEqualTo(204);
        Answer none = call("POST", "/process.Process/List", "{}", null, "E2b-Sandbox-Id", id);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("code").asText()).isEqualTo("unauthenticated");
        Answer foreign = call("POST", "/process.Process/List", "{}", null, "E2b-Sandbox-Id", id, "X-Access-Token", otherToken);
        assertThat(foreign.status()).as("another sandbox's token").isEqualTo(401);
        assertError(call("GET", "/files?path=/etc/hostname", null, null, "E2b-Sandbox-Id", id, "X-Access-Token", otherToken), 401);
        // With its own token the call goes through to the guest: this fake's guests are never ready, which is "unavailable".
        Answer own = call("POST", "/process.Process/List", "{}", null, "E2b-Sandbox-Id", id, "X-Access-Token", token);
        assertThat(own.status()).isEqualTo(503);
        assertThat(own.json().get("code").asText()).isEqualTo("unavailable");
        assertThat(own.json().get("message").asText()).contains("not running");
        assertThat(call("POST", "/nothing.Here/Call", "{}", null, "E2b-Sandbox-Id", id, "X-Access-Token", token).status())
                .isEqualTo(404);
    }

    @Test
    void aStreamingCallEndsWithItsErrorInTheEndOfStreamEnvelope() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        byte[] json = "{\"process\":{\"cmd\":\"true\"}}".getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer envelope = ConnectWire.envelope(0, json);
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + room.port() + "/process.Process/Start"))
                .header("Content-Type", "application/connect+json").header("E2b-Sandbox-Id", id).header("X-Access-Token", "wrong")
                .POST(HttpRequest.BodyPublishers.ofByteArray(envelope.array())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/connect+json");
        byte[] body = r.body();
        assertThat(body[0]).as("the end-of-stream flag").isEqualTo((byte) ConnectWire.END_STREAM);
        int length = java.nio.ByteBuffer.wrap(body, 1, 4).getInt();
        assertThat(body.length).isEqualTo(5 + length);
        JsonNode end = E2bWire.JSON.readTree(java.util.Arrays.copyOfRange(body, 5, body.length));
        assertThat(end.get("error").get("code").asText()).isEqualTo("unauthenticated");
    }

    @Test
    void aSignedFileUrlNamesItsSandboxBySignatureAlone() throws Exception {
        JsonNode a = call("POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":300}").json();
        String token = a.get("envdAccessToken").asText();
        long future = Instant.now().getEpochSecond() + 60;
        String good = dev.banger.core.e2b.EnvdRules.signature("/tmp/x", "read", "user", token, future);
        String url = "/files?path=/tmp/x&username=user&signature=" + URLEncoder.encode(good, StandardCharsets.UTF_8)
                + "&signature_expiration=" + future;
        // The signature found the sandbox: the call reached its (never ready) guest.
        Answer found = call("GET", url, null, null);
        assertThat(found.status()).as(String.valueOf(found.json())).isEqualTo(503);
        assertError(call("GET", url.replace("/tmp/x", "/tmp/y"), null, null), 401);
        assertError(call("POST", url, "", null), 401); // signed for reading, not writing
        long past = Instant.now().getEpochSecond() - 1;
        String expired = dev.banger.core.e2b.EnvdRules.signature("/tmp/x", "read", "user", token, past);
        assertError(call("GET", "/files?path=/tmp/x&username=user&signature=" + URLEncoder.encode(expired, StandardCharsets.UTF_8)
                + "&signature_expiration=" + past, null, null), 401);
    }

    @Test
    void pauseStopsTheSandboxConnectResumesItAndAPausedOneIsAConflict() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        assertThat(call("POST", "/sandboxes/" + id + "/pause", null).status()).isEqualTo(204);
        assertThat(backend.vms.get(id).running()).isFalse();
        assertThat(call("GET", "/sandboxes/" + id, null).json().get("state").asText()).isEqualTo("paused");
        JsonNode paused = call("GET", "/v2/sandboxes?state=paused", null).json();
        assertThat(paused).hasSize(1);
        assertThat(call("GET", "/v2/sandboxes?state=running", null).json()).isEmpty();
        assertError(call("POST", "/sandboxes/" + id + "/pause", null), 409);
        assertThat(call("GET", "/sandboxes/" + id + "/metrics", null).json()).as("a paused sandbox uses nothing").isEmpty();
        assertError(call("POST", "/sandboxes/" + id + "/fork", "{\"count\":1}"), 409);

        Answer resumed = call("POST", "/sandboxes/" + id + "/resume", "{\"timeout\":300}");
        assertThat(resumed.status()).isEqualTo(201);
        assertThat(resumed.json().get("sandboxID").asText()).as("the same sandbox").isEqualTo(id);
        assertThat(backend.vms.get(id).running()).isTrue();
        assertThat(call("POST", "/v2/sandboxes/" + id + "/connect", "{\"timeout\":300}").status()).as("running: a plain connect")
                .isEqualTo(200);
        assertError(call("POST", "/sandboxes/nope0/pause", null), 404);
    }

    @Test
    void aPauseTheBackendRefusesIsAnsweredWithWhyAndTheSandboxRunsOn() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        backend.failPause = new dev.banger.api.BangerException(dev.banger.api.ErrorCode.FAILED_PRECONDITION,
                "VM x has host directory mounts and cannot be paused");
        Answer refused = call("POST", "/sandboxes/" + id + "/pause", null);
        assertError(refused, 409);
        assertThat(refused.json().get("message").asText()).contains("mounts");
        assertThat(backend.vms.get(id).running()).isTrue();
    }

    @Test
    void aPausedSandboxIsStillKilledAtItsTimeout() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":1}");
        assertThat(call("POST", "/sandboxes/" + id + "/pause", null).status()).isEqualTo(204);
        waitGone(id);
        assertThat(db.e2b().sandbox(id)).isEmpty();
    }

    @Test
    void metricsAreOneSampleInE2bsShape() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        Answer a = call("GET", "/sandboxes/" + id + "/metrics", null);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json()).hasSize(1);
        JsonNode m = a.json().get(0);
        assertThat(m.get("cpuCount").asInt()).isEqualTo(2);
        assertThat(m.get("cpuUsedPct").asDouble()).isEqualTo(12.5);
        assertThat(m.get("memUsed").asLong()).isEqualTo(100L << 20);
        assertThat(m.get("memTotal").asLong()).isEqualTo(512L << 20);
        assertThat(m.get("memCache").asLong()).isZero();
        assertThat(m.get("diskUsed").asLong()).isEqualTo(300L << 20);
        assertThat(m.get("diskTotal").asLong()).isEqualTo(6144L << 20);
        long unix = m.get("timestampUnix").asLong();
        assertThat(unix).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.api.Assertions.within(5L));
        assertThat(Instant.parse(m.get("timestamp").asText()).getEpochSecond()).isEqualTo(unix);
        // The SDK's window (start, end in Unix seconds): one that ended before now has no sample; a bad one is 400.
        assertThat(call("GET", "/sandboxes/" + id + "/metrics?start=" + (unix - 60) + "&end=" + (unix + 60), null).json()).hasSize(1);
        assertThat(call("GET", "/sandboxes/" + id + "/metrics?end=" + (unix - 60), null).json()).isEmpty();
        assertError(call("GET", "/sandboxes/" + id + "/metrics?start=soon", null), 400);
        assertError(call("GET", "/sandboxes/nope0/metrics", null), 404);
    }

    /** One raw HTTP/1.1 exchange (the JDK's client will not set Host): the response's head and body, as bytes. */
    private String raw(String request) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", room.port())) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aPortHostIsProxiedToTheSandboxesPortBothBodiesStreaming() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        com.sun.net.httpserver.HttpServer guest = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        guest.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " host=" + ex.getRequestHeaders().getFirst("Host")
                    + " xff=" + ex.getRequestHeaders().getFirst("X-Forwarded-For") + " mine=" + ex.getRequestHeaders().getFirst("X-Mine")
                    + " keepalive=" + ex.getRequestHeaders().getFirst("Keep-Alive") + " len=" + body.length);
            ex.getResponseHeaders().add("X-From-Guest", "yes");
            byte[] answer;
            try {
                answer = ("got " + body.length + " bytes, sha " + java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(body))).getBytes(StandardCharsets.UTF_8);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IOException(e);
            }
            ex.sendResponseHeaders(201, 0); // 0: chunked, as a streaming service answers
            ex.getResponseBody().write(answer);
            ex.close();
        });
        guest.start();
        backend.guestPort = guest.getAddress().getPort();
        try {
            String host = "8080-" + id + ".E2B.test:" + room.port();
            String got = raw("GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: " + host + "\r\nX-Mine: kept\r\nKeep-Alive: timeout=5\r\n"
                    + "Connection: close\r\n\r\n");
            assertThat(got).startsWith("HTTP/1.1 201").containsIgnoringCase("X-From-Guest: yes").contains("got 0 bytes");
            assertThat(got.split("\r\n\r\n")[0].toLowerCase().split("\r\ndate:", -1)).as("one Date").hasSize(2);
            assertThat(seen.getLast()).isEqualTo("GET /a/b?x=1&y=%20z host=" + host + " xff=127.0.0.1 mine=kept keepalive=null len=0");

            byte[] big = new byte[3 << 20];
            new java.util.Random(7).nextBytes(big);
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(big));
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", room.port())) {
                var out = s.getOutputStream();
                out.write(("POST /up HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                for (int off = 0; off < big.length; off += 100_000) {
                    int n = Math.min(100_000, big.length - off);
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(big, off, n);
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(answer).startsWith("HTTP/1.1 201").contains("got " + big.length + " bytes, sha " + sha);
            }

            String envdPort = raw("GET /health HTTP/1.1\r\nHost: 49983-" + id + ".e2b.test\r\nConnection: close\r\n\r\n");
            assertThat(envdPort).as("envd's port goes to envd, never to the guest").doesNotContain("got 0 bytes");
            assertThat(seen).hasSize(2);
        } finally {
            guest.stop(0);
        }
        String unknown = raw("GET / HTTP/1.1\r\nHost: 8080-0000000000ff.e2b.test\r\nConnection: close\r\n\r\n");
        assertThat(unknown).startsWith("HTTP/1.1 502").contains("\"code\":502").contains("not found");
        String closed = raw("GET / HTTP/1.1\r\nHost: 9090-" + id + ".e2b.test\r\nConnection: close\r\n\r\n");
        assertThat(closed).startsWith("HTTP/1.1 502").contains("nothing listens on port 9090");
        String down = raw("GET / HTTP/1.1\r\nHost: 8080-" + id + ".e2b.test\r\nConnection: close\r\n\r\n");
        assertThat(down).as("the service stopped").startsWith("HTTP/1.1 502");
        call("POST", "/sandboxes/" + id + "/pause", null);
        String paused = raw("GET / HTTP/1.1\r\nHost: 8080-" + id + ".e2b.test\r\nConnection: close\r\n\r\n");
        assertThat(paused).startsWith("HTTP/1.1 502").contains("paused");
        assertThat(call("GET", "/health", null, null).status()).as("the REST API by any other host").isEqualTo(200);
    }

    @Test
    void theTokenSecretIsRootsAloneAndKept() throws Exception {
        String id = create("{\"templateID\":\"base\",\"timeout\":300}");
        String token = call("GET", "/sandboxes/" + id, null).json().get("envdAccessToken").asText();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secret")))).isEqualTo("rw-------");
        room.close();
        room = startRoom(3, 2);
        assertThat(call("GET", "/sandboxes/" + id, null).json().get("envdAccessToken").asText()).isEqualTo(token);
    }

    @Test
    void keysAreStoredOnlyHashed() {
        Params.E2bKeyCreated made = keys.create(new Params.E2bKeyCreate("ci"));
        assertThat(made.key()).matches("e2b_[0-9a-f]{40}");
        for (E2bStore.StoredKey k : db.e2b().keys()) {
            assertThat(new String(k.hash(), StandardCharsets.ISO_8859_1)).doesNotContain(made.key());
        }
        assertThat(keys.authenticate(made.key())).contains(made.id());
        assertThat(keys.list().keys()).extracting(Params.E2bKeyInfo::name).contains("ci", "test");
    }

    private void waitGone(String id) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (backend.vms.containsKey(id) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(backend.vms).doesNotContainKey(id);
    }
}
