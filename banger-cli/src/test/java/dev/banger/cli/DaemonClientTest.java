package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.RpcError;
import dev.banger.api.RpcResponse;
import dev.banger.api.Rpcs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A daemon that refuses a connection writes its reason and hangs up, possibly before the CLI has sent its
 * request; the CLI's write then fails (EPIPE), and the reason must still be what the user sees. Here a
 * real socket plays that daemon, and hangs up before the CLI writes.
 */
class DaemonClientTest {
    private static final String REFUSAL = "too many connections from nobody (uid 65534): 64 open, the most one user may hold;"
            + " close idle clients and retry";

    @TempDir
    Path home;

    private CliContext ctx;
    private ServerSocketChannel daemon;

    @BeforeEach
    void listen() throws IOException {
        StringWriter sink = new StringWriter();
        ctx = CliContext.of(new PrintWriter(sink), new PrintWriter(sink), Map.of("BANGER_HOME", home.toString()), home, false);
        Files.createDirectories(ctx.paths().socket().getParent());
        daemon = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        daemon.bind(UnixDomainSocketAddress.of(ctx.paths().socket()));
    }

    /** Connects, and has the "daemon" write {@code reply} (if any) and close before the client sends a byte. */
    private SocketChannel connectAndHangUp(String reply) throws IOException {
        SocketChannel client = DaemonClient.open(ctx.paths().socket());
        try (SocketChannel accepted = daemon.accept()) {
            if (reply != null) {
                accepted.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            }
        }
        return client;
    }

    private Params.VmList listOn(SocketChannel channel) {
        return ctx.existingDaemon().exchange(channel, Rpcs.VM_LIST, null, null);
    }

    @Test
    void aRefusalSentBeforeTheRequestIsShownRatherThanBrokenPipe() throws IOException {
        String refusal = Json.line(RpcResponse.failure(Json.MAPPER.nullNode(), RpcError.of(ErrorCode.RESOURCE_EXHAUSTED, REFUSAL)));
        try (SocketChannel probe = connectAndHangUp(refusal)) {
            assertThatThrownBy(() -> probe.write(ByteBuffer.wrap("x\n".getBytes(StandardCharsets.UTF_8))))
                    .as("the premise: writing to a daemon that hung up fails").hasMessageContaining("Broken pipe");
        }
        SocketChannel client = connectAndHangUp(refusal);

        assertThatThrownBy(() -> listOn(client))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
                .hasMessage(REFUSAL);
        assertThat(client.isOpen()).as("the channel is closed after the call").isFalse();
    }

    /** Plays the daemon for one call: reads the request line, answers {@code reply}. */
    private Params.VmList listAnsweredWith(String reply) throws Exception {
        Thread peer = Thread.ofVirtual().start(() -> {
            try (SocketChannel accepted = daemon.accept()) {
                new java.io.BufferedReader(new java.io.InputStreamReader(java.nio.channels.Channels.newInputStream(accepted),
                        StandardCharsets.UTF_8)).readLine();
                accepted.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            return listOn(DaemonClient.open(ctx.paths().socket()));
        } finally {
            peer.join();
        }
    }

    @Test
    void anErrorReplyBecomesItsCodeAndMessage() throws Exception {
        String reply = Json.line(RpcResponse.failure(Json.MAPPER.getNodeFactory().numberNode(1), RpcError.of(ErrorCode.NOT_FOUND, "no VM named 'x'")));

        assertThatThrownBy(() -> listAnsweredWith(reply))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessage("no VM named 'x'");
    }

    @Test
    void aResultIsDecodedToTheDescriptorsResultType() throws Exception {
        assertThat(listAnsweredWith(RpcResponse.successLine(Json.MAPPER.getNodeFactory().numberNode(1), new Params.VmList(java.util.List.of()))))
                .isEqualTo(new Params.VmList(java.util.List.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "{\"hello\":\"world\"}", "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}", "[1,2]",
            "{\"jsonrpc\":\"2.0\",\"id\":1}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"oops\"}"})
    void aPeerThatDoesNotSpeakJsonRpcIsNamedAsSuch(String reply) {
        assertThatThrownBy(() -> listAnsweredWith(reply))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNAVAILABLE))
                .hasMessageContaining("is held by a process that does not speak banger's protocol");
    }

    @Test
    void aDaemonThatHangsUpSayingNothingIsReportedAsALostConnection() throws IOException {
        SocketChannel client = connectAndHangUp(null);

        assertThatThrownBy(() -> listOn(client))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNAVAILABLE))
                .hasMessageStartingWith("lost the connection to bangerd during vm.list: Broken pipe; its log (" + ctx.paths().logFile());
    }
}
