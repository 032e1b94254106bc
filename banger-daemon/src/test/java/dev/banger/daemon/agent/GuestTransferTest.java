package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Lines;
import dev.banger.channel.OpenHandler;
import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GuestFiles' whole-file read and write against stand-in guests over a real channel: what the agent sends, and what
 * a hostile or failing guest might (more than it announced, a cut file, a malformed answer, a full disk).
 */
@Timeout(60)
class GuestTransferTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String ENTRY = "{\"name\":\"f\",\"path\":\"/home/user/f\",\"type\":\"file\",\"size\":%d,\"mode\":420,"
            + "\"permissions\":\"-rw-r--r--\",\"owner\":\"user\",\"group\":\"user\",\"mtime_ms\":1700000000000}";

    @TempDir
    Path tmp;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A stand-in guest agent's part of a stream. */
    private interface Guest {
        void serve(Stream stream) throws Exception;
    }

    /** A stream to a stand-in guest that serves it with {@code guest}. */
    private Stream streamTo(Guest guest) throws Exception {
        Path socket = tmp.resolve("agent" + open.size() + ".sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        open.add(server);
        OpenHandler handler = (stream, request) -> {
            try {
                guest.serve(stream);
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        };
        Thread.ofVirtual().start(() -> {
            try {
                SocketChannel c = server.accept();
                Channel.guest(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("stand-in"), handler).start();
            } catch (IOException closed) {
                // the test is over
            }
        });
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        Channel host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("daemon-test"), null);
        host.connect();
        open.add(host::close);
        return host.open("{\"op\":\"stand-in\"}".getBytes(StandardCharsets.UTF_8));
    }

    private static void say(Stream s, String line) throws IOException {
        s.output().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        s.output().flush();
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    private static ErrorCode code(Throwable t) {
        return ((BangerException) t).code();
    }

    /** A guest that announces {@code size}, sends {@code bytes} and ends the stream with {@code status}. */
    private Stream sending(long size, byte[] bytes, int status, String reason) throws Exception {
        return streamTo(s -> {
            say(s, "{\"ok\":true,\"result\":{\"size\":" + size + "}}");
            s.output().write(bytes);
            s.close(status, reason);
        });
    }

    @Test
    void aReadYieldsTheAnnouncedBytesThenItsEnd() throws Exception {
        byte[] content = random(1 << 20);
        try (GuestFiles.Reading r = GuestFiles.reading(sending(content.length, content, StreamEnd.OK, "sent"), "vm1", WAIT)) {
            assertThat(r.size()).isEqualTo(content.length);
            assertThat(r.content().readAllBytes()).isEqualTo(content);
            assertThat(r.content().read()).isEqualTo(-1);
        }
        try (GuestFiles.Reading r = GuestFiles.reading(sending(0, new byte[0], StreamEnd.OK, "sent"), "vm1", WAIT)) {
            assertThat(r.content().readAllBytes()).isEmpty();
        }
    }

    @Test
    void refusalsMapToTheirErrors() {
        String[][] refusals = {{"not_found", "NOT_FOUND"}, {"denied", "PERMISSION_DENIED"}, {"invalid", "INVALID_ARGUMENT"}};
        for (String[] r : refusals) {
            assertThatThrownBy(() -> GuestFiles.reading(streamTo(s -> say(s, "{\"ok\":false,\"error\":\"no\",\"kind\":\"" + r[0] + "\"}")),
                    "vm1", WAIT)).as(r[0]).satisfies(x -> assertThat(code(x).name()).isEqualTo(r[1]));
        }
        assertThatThrownBy(() -> GuestFiles.written(streamTo(s -> say(s, "{\"ok\":false,\"error\":\"permission denied\",\"kind\":\"denied\"}")),
                new ByteArrayInputStream(new byte[10]), "vm1", WAIT)).satisfies(x -> assertThat(code(x)).isEqualTo(ErrorCode.PERMISSION_DENIED));
    }

    @Test
    void malformedAnswersAreNotTheAgents() {
        for (String bad : List.of("{\"ok\":true,\"result\":{\"size\":-1}}", "{\"ok\":true,\"result\":{\"size\":\"5\"}}",
                "{\"ok\":true,\"result\":{\"size\":" + (GuestFiles.MAX_FILE + 1) + "}}", "{\"ok\":true,\"result\":{}}", "not json")) {
            assertThatThrownBy(() -> GuestFiles.reading(streamTo(s -> say(s, bad)), "vm1", WAIT)).as(bad)
                    .satisfies(x -> assertThat(code(x)).isEqualTo(ErrorCode.AGENT_UNAVAILABLE)).hasMessageContaining("not trusted");
        }
    }

    @Test
    void moreThanTheAnnouncedSizeIsCutOff() throws Exception {
        try (GuestFiles.Reading r = GuestFiles.reading(sending(10, random(20), StreamEnd.OK, "sent"), "vm1", WAIT)) {
            InputStream in = r.content();
            assertThat(in.readNBytes(10)).hasSize(10);
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("more than the 10 bytes");
        }
        byte[] flood = random(4 << 20); // far past the window: the guest is held by the channel, never buffered whole
        try (GuestFiles.Reading r = GuestFiles.reading(sending(100, flood, StreamEnd.OK, "sent"), "vm1", WAIT)) {
            assertThatThrownBy(() -> r.content().readAllBytes()).isInstanceOf(IOException.class).hasMessageContaining("more than the 100 bytes");
        }
    }

    @Test
    void aCutFileIsAnErrorNotAShortFile() throws Exception {
        try (GuestFiles.Reading r = GuestFiles.reading(sending(100_000, random(50_000), StreamEnd.FAILED,
                "reading the file failed after 50000 of 100000 bytes: Input/output error"), "vm1", WAIT)) {
            assertThatThrownBy(() -> r.content().readAllBytes()).isInstanceOf(IOException.class)
                    .hasMessageContaining("cut after 50000 of 100000 bytes").hasMessageContaining("Input/output error");
        }
        try (GuestFiles.Reading r = GuestFiles.reading(sending(100_000, random(50_000), StreamEnd.OK, "sent"), "vm1", WAIT)) {
            assertThatThrownBy(() -> r.content().readAllBytes()).isInstanceOf(IOException.class).hasMessageContaining("cut after 50000");
        }
        try (GuestFiles.Reading r = GuestFiles.reading(sending(5, random(5), StreamEnd.FAILED, "odd"), "vm1", WAIT)) {
            assertThatThrownBy(() -> r.content().readAllBytes()).isInstanceOf(IOException.class).hasMessageContaining("did not end normally");
        }
    }

    @Test
    void closingAReadEarlyAbandonsItInTheGuest() throws Exception {
        CompletableFuture<String> guestSaw = new CompletableFuture<>();
        Stream stream = streamTo(s -> {
            say(s, "{\"ok\":true,\"result\":{\"size\":" + (64L << 20) + "}}");
            try {
                byte[] chunk = new byte[64 * 1024];
                while (true) {
                    s.output().write(chunk);
                }
            } catch (IOException e) {
                guestSaw.complete(s.end().map(StreamEnd::reason).orElse("?"));
            }
        });
        GuestFiles.Reading r = GuestFiles.reading(stream, "vm1", WAIT);
        r.content().readNBytes(100_000);
        r.close();
        assertThat(guestSaw.get(10, TimeUnit.SECONDS)).contains("abandoned");
    }

    /** A guest that takes a write: its answer, the bytes to EOF (hashed), then the entry with {@code claimed} bytes (-1: those it got). */
    private Stream taking(CompletableFuture<byte[]> digest, long claimed) throws Exception {
        return streamTo(s -> {
            say(s, "{\"ok\":true}");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            long got = 0;
            int n;
            while ((n = s.input().read(buffer)) >= 0) {
                sha.update(buffer, 0, n);
                got += n;
            }
            digest.complete(sha.digest());
            long bytes = claimed < 0 ? got : claimed;
            say(s, "{\"ok\":true,\"result\":{\"entry\":" + ENTRY.formatted(bytes) + ",\"bytes\":" + bytes + "}}");
        });
    }

    @Test
    void aWriteSendsEverythingAndReturnsTheEntry() throws Exception {
        byte[] content = random(3 << 20);
        CompletableFuture<byte[]> digest = new CompletableFuture<>();
        GuestFiles.Entry e = GuestFiles.written(taking(digest, -1), new ByteArrayInputStream(content), "vm1", WAIT);
        assertThat(e.path()).isEqualTo("/home/user/f");
        assertThat(e.size()).isEqualTo(content.length);
        assertThat(digest.get()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(content));
    }

    @Test
    void aGuestClaimingOtherBytesIsNotBelieved() {
        assertThatThrownBy(() -> GuestFiles.written(taking(new CompletableFuture<>(), 7), new ByteArrayInputStream(random(100)), "vm1", WAIT))
                .satisfies(x -> assertThat(code(x)).isEqualTo(ErrorCode.AGENT_UNAVAILABLE)).hasMessageContaining("100 bytes sent");
    }

    @Test
    void aFullDiskHalfWayIsResourceExhausted() {
        Guest full = s -> {
            say(s, "{\"ok\":true}");
            s.input().readNBytes(100_000);
            say(s, "{\"ok\":false,\"error\":\"the guest's disk is full (No space left on device) after 100000 bytes\",\"kind\":\"exhausted\"}");
            s.close(0, "refused");
        };
        assertThatThrownBy(() -> GuestFiles.written(streamTo(full), new ByteArrayInputStream(random(8 << 20)), "vm1", WAIT))
                .satisfies(x -> assertThat(code(x)).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED)).hasMessageContaining("disk is full");
    }

    @Test
    void aSourceThatFailsStopsTheWriteInTheGuest() throws Exception {
        CompletableFuture<String> guestSaw = new CompletableFuture<>();
        Stream stream = streamTo(s -> {
            say(s, "{\"ok\":true}");
            try {
                s.input().readAllBytes(); // the end of the input, but not a half-close: the stream ended
                guestSaw.complete(s.end().map(StreamEnd::reason).orElse("EOF"));
            } catch (IOException e) {
                guestSaw.complete(e.getMessage());
            }
        });
        InputStream failing = new InputStream() {
            private int left = 3;

            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left-- == 0) {
                    throw new IOException("client reset");
                }
                return len;
            }
        };
        assertThatThrownBy(() -> GuestFiles.written(stream, failing, "vm1", WAIT))
                .satisfies(x -> assertThat(code(x)).isEqualTo(ErrorCode.CANCELLED)).hasMessageContaining("client reset");
        assertThat(guestSaw.get(10, TimeUnit.SECONDS)).contains("source failed");
    }

    @Test
    void aGuestThatNeverAnswersCostsTheTimeout() {
        assertThatThrownBy(() -> GuestFiles.reading(streamTo(s -> Lines.readBounded(s.input(), 10)), "vm1", Duration.ofMillis(300)))
                .satisfies(x -> assertThat(code(x)).isEqualTo(ErrorCode.AGENT_UNAVAILABLE));
    }
}
