package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Rpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real RpcServer on a real Unix socket, with limits small enough to test quickly: clients that dawdle
 * are told why and cut off, within bounds loose enough for a loaded machine (a deadline can fire late,
 * by up to a sweep interval and a busy scheduler, but never early).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcServerTest {
    private static final Duration SLOW = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private RpcServer server;

    private record Done(boolean done) {
    }

    private final RpcDispatcher dispatcher = new RpcDispatcher()
            .register(new Rpc<>("ping", Void.class, Done.class), p -> new Done(true))
            .register(new Rpc<>("sleep", Void.class, Done.class), p -> {
                sleep(800);
                return new Done(true);
            });

    private Path start(RpcLimits limits) throws IOException {
        Path socket = dir.resolve("s.sock");
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(socket));
        server = new RpcServer(channel, dispatcher, limits);
        Thread.ofVirtual().name("test-serve").start(server::serve);
        return socket;
    }

    private static RpcLimits limits(int maxConnections, int lineMillis, int idleMillis) {
        return new RpcLimits(1024, maxConnections, 1, 100, Duration.ofMillis(lineMillis), Duration.ofMillis(idleMillis));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close(1000);
        }
    }

    @Test
    void aClientTricklingOneByteAtATimeIsCutOffAfterTheLineTimeout() throws Exception {
        Path socket = start(limits(10, 400, 30_000));
        try (Client c = new Client(socket)) {
            long first = System.nanoTime();
            Thread trickler = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 100 && c.trySend("{"); i++) {
                    sleep(50);
                }
            });

            JsonNode reply = c.reply(SLOW);
            long took = System.nanoTime() - first;

            assertThat(reply.at("/error/code").asInt()).as("%s", reply).isEqualTo(-32600);
            assertThat(reply.at("/error/message").asText())
                    .isEqualTo("request line not complete within 400 ms; the connection is closed (send each request as one line ending in a newline)");
            assertThat(reply.get("id").isNull()).isTrue();
            assertThat(Duration.ofNanos(took)).as("never before the deadline").isGreaterThanOrEqualTo(Duration.ofMillis(400));
            assertThat(c.closedWithin(SLOW)).isTrue();
            trickler.join();
        }
        assertThat(await(() -> server.openConnections() == 0)).as("the connection is released").isTrue();
    }

    @Test
    void anIdleConnectionIsToldAndClosedAfterTheIdleTimeout() throws Exception {
        Path socket = start(limits(10, 10_000, 400));
        try (Client c = new Client(socket)) {
            long opened = System.nanoTime();

            JsonNode reply = c.reply(SLOW);

            assertThat(Duration.ofNanos(System.nanoTime() - opened)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
            assertThat(reply.at("/error/code").asInt()).as("%s", reply).isEqualTo(-32014);
            assertThat(reply.at("/error/message").asText())
                    .isEqualTo("no request for 400 ms: bangerd closed this idle connection; connect again to send more");
            assertThat(c.closedWithin(SLOW)).isTrue();
        }
        assertThat(await(() -> server.openConnections() == 0)).isTrue();
    }

    @Test
    void blankLinesDoNotKeepAConnectionOpen() throws Exception {
        Path socket = start(limits(10, 10_000, 600));
        try (Client c = new Client(socket)) {
            Thread blanks = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 100 && c.trySend("\n"); i++) {
                    sleep(100);
                }
            });

            JsonNode reply = c.reply(SLOW);

            assertThat(reply.at("/error/message").asText()).startsWith("no request for 600 ms");
            assertThat(c.closedWithin(SLOW)).isTrue();
            blanks.join();
        }
    }

    @Test
    void aRequestLongerThanTheIdleTimeoutIsServedAndEachRequestRestartsTheIdleClock() throws Exception {
        Path socket = start(limits(10, 10_000, 500));
        try (Client c = new Client(socket)) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sleep\"}\n");
            assertThat(c.reply(SLOW).at("/result/done").asBoolean()).as("800 ms of work, 500 ms idle timeout").isTrue();

            for (int i = 2; i < 6; i++) {
                sleep(250);
                c.send("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"ping\"}\n");
                JsonNode reply = c.reply(SLOW);
                assertThat(reply.get("id").asInt()).as("%s", reply).isEqualTo(i);
                assertThat(reply.at("/result/done").asBoolean()).isTrue();
            }

            assertThat(c.reply(SLOW).at("/error/message").asText()).startsWith("no request for 500 ms");
        }
    }

    @Test
    @Tag("privileged") // the total cap as root meets it: other users meet their own cap first
    void beyondTheTotalCapAClientIsToldTooManyConnectionsAndTheOthersAreServed() throws Exception {
        Path socket = start(limits(3, 10_000, 30_000));
        try (Client a = new Client(socket); Client b = new Client(socket); Client c = new Client(socket)) {
            assertThat(await(() -> server.openConnections() == 3)).isTrue();
            try (Client d = new Client(socket)) {
                JsonNode refused = d.reply(SLOW);

                assertThat(refused.at("/error/code").asInt()).as("%s", refused).isEqualTo(-32014);
                assertThat(refused.at("/error/message").asText())
                        .isEqualTo("too many connections: bangerd holds 3, the most it allows; close idle clients and retry");
                assertThat(d.closedWithin(SLOW)).isTrue();
            }
            a.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
            assertThat(a.reply(SLOW).has("result")).isTrue();
        }
        assertThat(await(() -> server.openConnections() == 0)).isTrue();
        try (Client e = new Client(socket)) {
            e.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
            assertThat(e.reply(SLOW).has("result")).as("room again once clients left").isTrue();
        }
    }

    private static boolean await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + SLOW.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(10);
        }
        return true;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A raw client: a virtual thread reads lines into a queue, so every wait has a bound. */
    private static final class Client implements AutoCloseable {
        private static final Optional<String> END = Optional.empty();
        private final SocketChannel channel;
        private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();

        Client(Path socket) throws IOException {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            Thread.ofVirtual().start(this::pump);
        }

        private void pump() {
            ByteBuffer in = ByteBuffer.allocate(4096);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try {
                while (channel.read(in.clear()) >= 0) {
                    for (int i = 0; i < in.position(); i++) {
                        if (in.get(i) == '\n') {
                            lines.add(Optional.of(line.toString(StandardCharsets.UTF_8)));
                            line.reset();
                        } else {
                            line.write(in.get(i));
                        }
                    }
                }
            } catch (IOException e) {
                // reset or closed: the end, as far as the test is concerned
            }
            lines.add(END);
        }

        void send(String text) throws IOException {
            ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
        }

        /** Sends, and says whether the daemon still took it. */
        boolean trySend(String text) {
            try {
                send(text);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        JsonNode reply(Duration timeout) throws Exception {
            Optional<String> line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null) {
                throw new AssertionError("no line within " + timeout);
            }
            return Json.MAPPER.readTree(line.orElseThrow(() -> new AssertionError("the server closed the connection without a line")));
        }

        boolean closedWithin(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            Optional<String> next;
            while ((next = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null) {
                if (next.isEmpty()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
