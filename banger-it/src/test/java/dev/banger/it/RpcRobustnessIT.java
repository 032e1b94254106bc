package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
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
 * the same daemon process. A second daemon, with small limits, shows that clients which hold connections
 * or dawdle are refused or cut off, and that other users' floods never lock root out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RpcRobustnessIT {
    private static final int MAX_REQUEST_BYTES = 1024 * 1024;
    private static final Duration REPLY = Duration.ofSeconds(30);

    /** The limited daemon's: 3 connections per user other than root, 12 in all of which 4 are root's, 1.5 s per request line. */
    private static final int MAX_PER_UID = 3;
    private static final int MAX_CONNECTIONS = 12;
    private static final int ROOT_RESERVE = 4;
    private static final String LIMITED_OPTS = "-Dbanger.rpc.maxPerUid=" + MAX_PER_UID + " -Dbanger.rpc.maxConnections=" + MAX_CONNECTIONS
            + " -Dbanger.rpc.rootReserve=" + ROOT_RESERVE + " -Dbanger.rpc.lineTimeoutMillis=1500";
    /** Users without an account are fine: the kernel reports their uid, and the daemon counts by uid. */
    private static final int NOBODY = 65534;

    private BangerHome home;
    private long pid;
    private BangerHome limited;
    private final List<Process> holders = new ArrayList<>();

    @BeforeAll
    void startDaemon() throws IOException {
        home = BangerHome.create();
        pid = home.startDaemon();
        home.importPlaceholderImage();

        limited = BangerHome.create();
        BangerHome.Result started = limited.run(List.of("env", "BANGER_DAEMON_JAVA_OPTS=" + LIMITED_OPTS,
                limited.repoDir().resolve("bin/banger").toString(), "vm", "list"), BangerHome.CLI_TIMEOUT);
        assertThat(started.exitCode()).as("%s", started).isZero();
        // Let any user reach this throwaway home's socket (a real one is 0660 root:banger).
        Files.setPosixFilePermissions(limited.path(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(limited.socket().getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(limited.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    @AfterAll
    void cleanUp() {
        try {
            home.close();
        } finally {
            limited.close();
        }
    }

    @AfterEach
    void daemonStillServesANewConnection() throws InterruptedException {
        for (Process p : holders) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        holders.clear();
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> openConnections(limited) <= 1))
                .as("the limited bangerd released the connections of the test").isTrue();
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

    @ParameterizedTest
    @ValueSource(strings = {"1", "true", "1e400", "1.5", "[\"x\"]"})
    void aNameThatIsNotAJsonStringIsInvalidParamsAndCreatesNothing(String name) {
        try (RpcConnection c = home.connect()) {
            int before = c.call("vm.list", null).at("/result/vms").size();
            // Written out: a JSON tree would turn 1e400 into Infinity before it is sent.
            c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"vm.create\",\"params\":{\"name\":" + name + "}}");
            JsonNode reply = c.readResponse(REPLY);

            assertError(reply, -32602);
            assertThat(reply.at("/error/message").asText()).as("%s", reply).startsWith("invalid params for vm.create: field 'name': expected a string, got");
            assertThat(c.call("vm.list", null).at("/result/vms").size()).as("no VM was created").isEqualTo(before);
        }
    }

    @Test
    void aNumberBeyondAnyRangeIsInvalidParamsNotInfinity() {
        try (RpcConnection c = home.connect()) {
            c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"vm.create\",\"params\":{\"name\":\"huge\",\"memory_mib\":1e400}}");
            JsonNode reply = c.readResponse(REPLY);

            assertError(reply, -32602);
            assertThat(reply.at("/error/message").asText()).isEqualTo(
                    "invalid params for vm.create: field 'memory_mib': expected an integer, got a number beyond any range");
            assertError(c.call("vm.get", "{\"vm\":\"huge\"}"), -32011);
        }
    }

    @Test
    void aParamGivenTwiceIsInvalidParamsAndCreatesNeither() {
        try (RpcConnection c = home.connect()) {
            // RpcConnection builds requests as trees, which cannot repeat a key: this one is written out.
            c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"vm.create\",\"params\":{\"name\":\"twice-a\",\"name\":\"twice-b\"}}");
            JsonNode reply = c.readResponse(REPLY);

            assertError(reply, -32602);
            assertThat(reply.get("id").asInt()).isEqualTo(41);
            assertThat(reply.at("/error/message").asText()).contains("field 'name' is given twice");
            assertError(c.call("vm.get", "{\"vm\":\"twice-a\"}"), -32011);
            assertError(c.call("vm.get", "{\"vm\":\"twice-b\"}"), -32011);
        }
    }

    @Test
    void aRequestKeyGivenTwiceIsAnInvalidRequest() {
        try (RpcConnection c = home.connect()) {
            c.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\",\"method\":\"daemon.status\",\"params\":{\"name\":\"which\"}}");
            JsonNode reply = c.readResponse(REPLY);

            assertError(reply, -32600);
            assertThat(reply.get("id").isNull()).as("%s", reply).isTrue();
            assertThat(reply.at("/error/message").asText()).contains("key 'method' twice");
            assertError(c.call("vm.get", "{\"vm\":\"which\"}"), -32011);
        }
    }

    @Test
    void paramsForAMethodThatTakesNoneAreInvalidParams() {
        try (RpcConnection c = home.connect()) {
            JsonNode reply = c.call("daemon.status", "{\"verbose\":true}");

            assertError(reply, -32602);
            assertThat(reply.at("/error/message").asText()).contains("daemon.status takes no params");
        }
    }

    @Test
    void idleConnectionsOfAnotherUserBeyondTheirCapAreRefusedAndRootIsNotLockedOut() throws Exception {
        holdAllNobodyMay();

        Process refused = holdAs(NOBODY);

        assertThat(refused.waitFor(20, TimeUnit.SECONDS)).as("bangerd hangs up on the connection over the cap").isTrue();
        String line = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        JsonNode reply = RpcConnection.parse(line.strip());
        assertError(reply, -32014);
        assertThat(reply.at("/error/message").asText()).isEqualTo("too many connections from nobody (uid " + NOBODY + "): "
                + MAX_PER_UID + " open, the most one user may hold; close idle clients and retry");
        assertThat(limited.ok("vm", "list").stdout()).as("root is served").startsWith("NAME");
        try (RpcConnection root = limited.connect()) {
            assertThat(root.call("daemon.status", null).has("result")).isTrue();
        }
    }

    @Test
    void theCliOfAUserOverTheCapShowsTheDaemonsErrorAndWorksOnceTheirConnectionsClose() {
        holdAllNobodyMay();

        BangerHome.Result r = bangerAs(NOBODY, "vm", "list");

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("too many connections from nobody (uid " + NOBODY + ")").doesNotContain("Broken pipe");
        assertThat(r.stdout()).isEmpty();

        holders.forEach(Process::destroyForcibly);
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> openConnections(limited) <= 1)).isTrue();
        BangerHome.Result again = bangerAs(NOBODY, "vm", "list");
        assertThat(again.exitCode()).as("%s", again).isZero();
        assertThat(again.stdout()).startsWith("NAME");
    }

    @Test
    void usersOtherThanRootTogetherCannotTakeRootsReserve() throws Exception {
        int shared = MAX_CONNECTIONS - ROOT_RESERVE;
        for (int i = 0; i < shared; i++) {
            holdAs(NOBODY - 1 - i / MAX_PER_UID); // 65533, 65533, 65533, 65532, ...: each user within their cap
        }
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> openConnections(limited) >= shared + 1))
                .as("the limited bangerd holds %d connections of other users", shared).isTrue();

        Process refused = holdAs(NOBODY);

        assertThat(refused.waitFor(20, TimeUnit.SECONDS)).isTrue();
        JsonNode reply = RpcConnection.parse(new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        assertError(reply, -32014);
        assertThat(reply.at("/error/message").asText()).contains("users other than root hold " + shared)
                .contains("it keeps " + ROOT_RESERVE + " for root");
        assertThat(limited.ok("vm", "list").stdout()).as("root is served from its reserve").startsWith("NAME");
    }

    @Test
    void aClientTricklingARequestIsCutOffAtTheLineDeadline() throws Exception {
        try (RpcConnection c = limited.connect()) {
            long first = System.nanoTime();
            Thread trickler = Thread.ofPlatform().daemon().name("trickler").start(() -> {
                try {
                    for (int i = 0; i < 100; i++) {
                        c.send(new byte[] {'{'});
                        Thread.sleep(200);
                    }
                } catch (java.io.UncheckedIOException | InterruptedException cutOff) {
                    // bangerd hung up: what the test waits for
                }
            });

            JsonNode reply = c.readResponse(Duration.ofSeconds(20));
            Duration took = Duration.ofNanos(System.nanoTime() - first);

            assertError(reply, -32600);
            assertThat(reply.at("/error/message").asText()).startsWith("request line not complete within 1500 ms; the connection is closed");
            assertThat(took).as("not before the deadline, and well before the 20 s the trickle would take")
                    .isBetween(Duration.ofMillis(1500), Duration.ofSeconds(10));
            assertThat(c.closedByPeerWithin(Duration.ofSeconds(10))).isTrue();
            trickler.join(10_000);
        }
    }

    /** Has user nobody hold as many idle connections to the limited daemon as one user may. */
    private void holdAllNobodyMay() {
        for (int i = 0; i < MAX_PER_UID; i++) {
            holdAs(NOBODY);
        }
        assertThat(BangerHome.await(Duration.ofSeconds(20), () -> openConnections(limited) >= MAX_PER_UID + 1))
                .as("the limited bangerd holds nobody's %d connections", MAX_PER_UID).isTrue();
    }

    /** A connection to the limited daemon held open, idle, by uid {@code uid} (socat; what bangerd says goes to its stdout). */
    private Process holdAs(int uid) {
        try {
            Process p = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                    "socat", "-u", "UNIX-CONNECT:" + limited.socket(), "STDOUT")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            holders.add(p);
            return p;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private BangerHome.Result bangerAs(int uid, String... args) {
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                limited.repoDir().resolve("bin/banger").toString()));
        command.addAll(List.of(args));
        return limited.run(command, BangerHome.CLI_TIMEOUT);
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
        return openConnections(home);
    }

    private static int openConnections(BangerHome of) {
        try (RpcConnection c = of.connect()) {
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
