package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whatever a client sends over the raw socket, bangerd answers with the right JSON-RPC error (or, for a
 * notification, nothing) and keeps serving: after every test a NEW connection must get daemon.status from
 * the same daemon process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RpcRobustnessIT {
    private static final int MAX_REQUEST_BYTES = 1024 * 1024;
    private static final Duration REPLY = Duration.ofSeconds(30);

    private BangerHome home;
    private long pid;

    @BeforeAll
    void startDaemon() {
        home = BangerHome.create();
        pid = home.startDaemon();
        home.importPlaceholderImage();
    }

    @AfterAll
    void cleanUp() {
        home.close();
    }

    @AfterEach
    void daemonStillServesANewConnection() {
        try (RpcConnection c = home.connect()) {
            JsonNode status = c.call("daemon.status", null);
            assertThat(status.has("error")).as("%s", status).isFalse();
            assertThat(status.at("/result/pid").asLong()).as("the same bangerd still serves").isEqualTo(pid);
        }
        assertThat(BangerHome.alive(pid)).isTrue();
    }

    @Test
    void invalidJsonIsAParseErrorAndTheConnectionStaysUsable() {
        try (RpcConnection c = home.connect()) {
            c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
            JsonNode reply = c.readResponse(REPLY);

            assertError(reply, -32700);
            assertThat(reply.get("id").isNull()).as("id of %s", reply).isTrue();
            assertThat(reply.get("jsonrpc").asText()).isEqualTo("2.0");
            assertThat(c.call("vm.list", null).has("result")).isTrue();
        }
    }

    @Test
    void invalidUtf8IsAParseError() {
        try (RpcConnection c = home.connect()) {
            c.send(new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}', '\n'});
            assertError(c.readResponse(REPLY), -32700);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2,3]", "[]", "42", "\"vm.list\"", "null", "true"})
    void jsonThatIsNotAnObjectIsAnInvalidRequest(String json) {
        try (RpcConnection c = home.connect()) {
            c.sendLine(json);
            JsonNode reply = c.readResponse(REPLY);

            assertError(reply, -32600);
            assertThat(reply.at("/error/message").asText()).contains("JSON object");
            assertThat(c.call("daemon.status", null).has("result")).isTrue();
        }
    }

    @Test
    void unknownMethodIsMethodNotFound() {
        try (RpcConnection c = home.connect()) {
            JsonNode reply = c.call("vm.explode", "{}");

            assertError(reply, -32601);
            assertThat(reply.at("/error/message").asText()).contains("vm.explode").contains("vm.create");
        }
    }

    @Test
    void wrongParamTypeIsInvalidParamsAndCreatesNothing() {
        try (RpcConnection c = home.connect()) {
            JsonNode reply = c.call("vm.create", "{\"name\":\"typed\",\"vcpus\":\"two\"}");

            assertError(reply, -32602);
            assertThat(reply.at("/error/message").asText()).contains("vcpus");
            assertError(c.call("vm.get", "{\"vm\":\"typed\"}"), -32011);
        }
    }

    @Test
    void floatWhereAnIntegerBelongsIsInvalidParams() {
        try (RpcConnection c = home.connect()) {
            assertError(c.call("vm.create", "{\"name\":\"floaty\",\"vcpus\":1.5}"), -32602);
        }
    }

    @Test
    void unknownParamFieldIsInvalidParams() {
        try (RpcConnection c = home.connect()) {
            JsonNode reply = c.call("vm.create", "{\"name\":\"colourful\",\"colour\":\"red\"}");

            assertError(reply, -32602);
            assertThat(reply.at("/error/message").asText()).contains("colour");
            assertError(c.call("vm.get", "{\"vm\":\"colourful\"}"), -32011);
        }
    }

    @Test
    void requestOfExactly1MiBIsServed() {
        String head = "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"daemon.status\"";
        String request = head + " ".repeat(MAX_REQUEST_BYTES - head.length() - 1) + "}";
        assertThat(request.getBytes(StandardCharsets.UTF_8)).hasSize(MAX_REQUEST_BYTES);
        try (RpcConnection c = home.connect()) {
            c.sendLine(request);
            JsonNode reply = c.readResponse(REPLY);

            assertThat(reply.has("error")).as("%s", reply).isFalse();
            assertThat(reply.get("id").asLong()).isEqualTo(77);
        }
    }

    @Test
    void requestOver1MiBWithoutNewlineMakesBangerdCloseTheConnection() {
        try (RpcConnection c = home.connect()) {
            c.send(oneByteOverTheLimit());

            assertThat(c.closedByPeerWithin(Duration.ofSeconds(10))).as("bangerd closes the connection").isTrue();
        }
    }

    @Test
    void requestOver1MiBWithoutNewlineGetsAnInvalidRequestReplyThenTheConnectionIsClosed() {
        try (RpcConnection c = home.connect()) {
            c.send(oneByteOverTheLimit());
            JsonNode reply = c.readResponse(REPLY);

            assertThat(reply).as("an error reply before the connection is closed").isNotNull();
            assertError(reply, -32600);
            assertThat(reply.at("/error/message").asText()).contains("larger than 1 MiB");
            assertThat(c.closedByPeerWithin(Duration.ofSeconds(10))).as("bangerd closes the connection").isTrue();
        }
    }

    /** 1 MiB + 1 bytes and no newline: exactly one byte more than bangerd buffers for a request line. */
    private static byte[] oneByteOverTheLimit() {
        byte[] tooLong = new byte[MAX_REQUEST_BYTES + 1];
        Arrays.fill(tooLong, (byte) 'x');
        return tooLong;
    }

    @Test
    void clientThatSendsHalfARequestAndDisconnectsHarmsNothing() {
        int before = openConnections();
        try (RpcConnection c = home.connect()) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"vm.create\",\"params\":{\"name\":\"half".getBytes(StandardCharsets.UTF_8));
        }
        try (RpcConnection c = home.connect()) {
            assertError(c.call("vm.get", "{\"vm\":\"half\"}"), -32011);
        }
        assertThat(BangerHome.await(Duration.ofSeconds(10), () -> openConnections() <= before))
                .as("the half-open connection is released").isTrue();
    }

    @Test
    void notificationGetsNoReplyButIsExecuted() {
        try (RpcConnection c = home.connect()) {
            c.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"vm.create\",\"params\":{\"name\":\"notified\"}}");
            c.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"daemon.status\"}");
            c.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"no.such.method\"}");
            c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"daemon.status\"}");

            JsonNode first = c.readResponse(REPLY);
            assertThat(first.get("id").asText()).as("the first reply answers the request, not a notification: %s", first)
                    .isEqualTo("after");
            JsonNode created = c.call("vm.get", "{\"vm\":\"notified\"}");
            assertThat(created.at("/result/spec/name").asText()).as("%s", created).isEqualTo("notified");
        }
    }

    @Test
    void thousandIdleConnectionsDoNotStopTheCli() throws IOException {
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                idle.add(SocketChannel.open(UnixDomainSocketAddress.of(home.socket())));
            }
            assertThat(BangerHome.await(Duration.ofSeconds(20), () -> openConnections() >= 1000))
                    .as("bangerd holds the 1000 idle connections").isTrue();

            BangerHome.Result list = home.ok("vm", "list");

            assertThat(list.stdout()).startsWith("NAME");
            assertThat(list.took()).as("vm list with 1000 idle connections open").isLessThan(Duration.ofSeconds(15));
        } finally {
            for (SocketChannel ch : idle) {
                ch.close();
            }
        }
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> openConnections() <= 1))
                .as("bangerd releases the closed connections (open now: %d)", openConnections()).isTrue();
    }

    @Test
    void blankLinesAreIgnored() {
        try (RpcConnection c = home.connect()) {
            c.send("\n\r\n   \n".getBytes(StandardCharsets.UTF_8));
            assertThat(c.call("daemon.status", null).has("result")).isTrue();
        }
    }

    /** open_connections as bangerd reports it, counting the connection that asks. */
    private int openConnections() {
        try (RpcConnection c = home.connect()) {
            return c.call("daemon.status", null).at("/result/open_connections").asInt();
        }
    }

    private static void assertError(JsonNode reply, int code) {
        assertThat(reply).as("reply").isNotNull();
        assertThat(reply.has("result")).as("%s has no result", reply).isFalse();
        assertThat(reply.at("/error/code").asInt()).as("error code of %s", reply).isEqualTo(code);
        assertThat(reply.at("/error/message").asText()).as("error message of %s", reply).isNotBlank();
    }
}
