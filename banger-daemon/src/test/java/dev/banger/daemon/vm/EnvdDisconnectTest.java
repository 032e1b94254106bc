package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.channel.Exec;
import dev.banger.channel.OpenHandler;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import dev.banger.core.e2b.E2bSettings;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.e2b.E2bKeys;
import dev.banger.daemon.e2b.E2bRoom;
import dev.banger.daemon.e2b.SandboxBackend;
import dev.banger.daemon.e2b.VmGuests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * envd's process stream over the real listener, the real agent sessions and a stand-in guest agent (a fake VMM's VM):
 * a client that goes away in the middle of a Start stream leaves nothing attached in bangerd (the guest sees its
 * attachment closed), the process keeps running, as envd's do, and the sandbox's envd keeps serving.
 */
class EnvdDisconnectTest {
    @TempDir
    Path tmp;

    /** One long-running shared process; records when the host closes its attachment. */
    static final class LongRunning implements OpenHandler {
        final CompletableFuture<Boolean> attachmentClosed = new CompletableFuture<>();
        volatile boolean killed;

        @Override
        public void onOpen(Stream stream, byte[] request) throws Exception {
            Map<?, ?> r = Json.MAPPER.readValue(request, Map.class);
            OutputStream out = stream.output();
            switch (String.valueOf(r.get("op"))) {
                case "ready" -> answer(out, Map.of("ready", true));
                case "exec" -> {
                    answer(out, Map.of("id", "0badc0de", "pid", 42));
                    Records.write(out, Exec.STARTED, Records.u32(42));
                    out.flush();
                    // The process runs on; the attachment lasts until the host closes it.
                    attachmentClosed.complete(stream.awaitEnd(Duration.ofSeconds(60)).isPresent());
                }
                case "procs" -> answer(out, Map.of("max", 64, "processes", List.of(Map.of("id", "0badc0de", "pid", 42,
                        "argv", List.of("/bin/bash", "-l", "-c", "sleep 1000"), "state", killed ? "exited" : "running"))));
                case "signal" -> {
                    killed = true;
                    answer(out, Map.of("id", "0badc0de", "pid", 42, "signal", r.get("signal")));
                }
                default -> out.write("{\"ok\":false,\"error\":\"unknown op\"}\n".getBytes(StandardCharsets.UTF_8));
            }
            stream.close();
        }

        private static void answer(OutputStream out, Object result) throws IOException {
            out.write((Json.MAPPER.writeValueAsString(Map.of("ok", true, "result", result)) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    @Test
    void aClientGoneMidStreamLeavesNoAttachmentAndTheProcessRuns() throws Exception {
        try (FakeDaemon d = new FakeDaemon(tmp.resolve("home"))) {
            LongRunning agent = new LongRunning();
            VmRecord vm = d.startWithAgent("g", tmp.resolve("g.sock"), agent);
            AgentSessions sessions = new AgentSessions(d.vmms, d.liveness);
            SecureRandom random = new SecureRandom();
            E2bKeys keys = new E2bKeys(d.db.e2b(), Clock.systemUTC(), random);
            String key = keys.create(new Params.E2bKeyCreate("t")).key();
            SandboxBackend.Vm view = new SandboxBackend.Vm(vm.id(), true, 2, 512, 1024);
            SandboxBackend backend = new SandboxBackend() {
                @Override
                public boolean imageExists(String image) {
                    return true;
                }

                @Override
                public Vm create(String image) {
                    return view;
                }

                @Override
                public Optional<Vm> find(String id) {
                    return id.equals(vm.id()) ? Optional.of(view) : Optional.empty();
                }

                @Override
                public void delete(String id) {
                }

                @Override
                public Vm resume(String id) {
                    return view;
                }

                @Override
                public List<Vm> fork(String id, int count) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void pause(String id) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Optional<Usage> usage(String id) {
                    return Optional.empty();
                }

                @Override
                public dev.banger.daemon.publish.GuestConnection openPort(String id, int port) {
                    throw new UnsupportedOperationException();
                }
            };
            E2bRoom room = E2bRoom.start(new E2bSettings("127.0.0.1", 0, "e2b.test", 5, 5, null, null), d.db.e2b(), keys, backend,
                    new VmGuests(d.vms, sessions), "debian-bookworm", tmp.resolve("secret"), Clock.systemUTC(), random);
            try {
                JsonNode sandbox = Json.MAPPER.readTree(body(http(room.port(), "POST", "/v2/sandboxes", Map.of("X-API-Key", key,
                        "Content-Type", "application/json"), "{\"templateID\":\"base\",\"timeout\":300}".getBytes(StandardCharsets.UTF_8))));
                Map<String, String> envd = Map.of("E2b-Sandbox-Id", vm.id(), "X-Access-Token", sandbox.get("envdAccessToken").asText());

                byte[] start = "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-l\",\"-c\",\"sleep 1000\"]},\"stdin\":false}"
                        .getBytes(StandardCharsets.UTF_8);
                ByteBuffer envelope = ByteBuffer.allocate(5 + start.length).put((byte) 0).putInt(start.length).put(start);
                try (Socket s = new Socket("127.0.0.1", room.port())) {
                    send(s, "POST", "/process.Process/Start", Map.of("E2b-Sandbox-Id", vm.id(), "X-Access-Token",
                            sandbox.get("envdAccessToken").asText(), "Content-Type", "application/connect+json",
                            "Keepalive-Ping-Interval", "1"), envelope.array());
                    String seen = readUntil(s.getInputStream(), "\"start\"");
                    assertThat(seen).contains("{\"event\":{\"start\":{\"pid\":42}}}");
                    assertThat(agent.attachmentClosed).as("attached while the client reads").isNotDone();
                } // the client goes away without a word
                assertThat(agent.attachmentClosed.get(15, TimeUnit.SECONDS)).as("bangerd closed its attachment").isTrue();
                assertThat(agent.killed).as("the process outlives its client, as envd's do").isFalse();

                String listed = body(http(room.port(), "POST", "/process.Process/List", Map.of("E2b-Sandbox-Id", vm.id(),
                        "X-Access-Token", envd.get("X-Access-Token"), "Content-Type", "application/json"), "{}".getBytes(StandardCharsets.UTF_8)));
                assertThat(listed).contains("\"pid\":42").contains("\"cmd\":\"/bin/bash\"");
            } finally {
                room.close();
                sessions.close();
            }
        }
    }

    private static void send(Socket s, String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        OutputStream out = s.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** One request on its own connection (Connection: close): the whole response, head and body. */
    private static String http(int port, String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            Map<String, String> all = new java.util.LinkedHashMap<>(headers);
            all.put("Connection", "close");
            send(s, method, path, all, body);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String body(String response) {
        assertThat(response).startsWith("HTTP/1.1 20");
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    private static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        int n;
        while ((n = in.read(b)) > 0) {
            seen.write(b, 0, n);
            if (seen.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
                return seen.toString(StandardCharsets.ISO_8859_1);
            }
        }
        throw new IOException("the stream ended before " + marker + ": " + seen.toString(StandardCharsets.ISO_8859_1));
    }
}
