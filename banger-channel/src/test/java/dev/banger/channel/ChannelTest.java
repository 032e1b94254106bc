package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.channel.ChannelException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Copies the stream back until EOF, then EOF; returning closes it with status 0. */
    private static final OpenHandler ECHO = (stream, request) -> {
        stream.input().transferTo(stream.output());
        stream.closeOutput();
    };

    @TempDir
    Path tmp;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<String> hostLog = new CopyOnWriteArrayList<>();
    private final List<String> guestLog = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        threads.shutdownNow();
    }

    private ChannelOptions hostOptions() {
        return ChannelOptions.defaults("banger test-host").withName("host").withLog(hostLog::add);
    }

    private ChannelOptions guestOptions() {
        return ChannelOptions.defaults("banger test-guest").withName("guest").withLog(guestLog::add);
    }

    private record Pair(Channel host, Channel guest) {
    }

    private Pair connected(ChannelOptions hostOptions, ChannelOptions guestOptions, OpenHandler guestHandler) throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions, guestHandler));
        guest.start();
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions, null));
        host.connect();
        return new Pair(host, guest);
    }

    private <T extends AutoCloseable> T track(T c) {
        toClose.add(c);
        return c;
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    // ---- sessions and streams

    @Test
    void theHandshakeAgreesAndEachSideKnowsTheOther() throws Exception {
        Pair p = connected(hostOptions(), guestOptions(), ECHO);
        assertThat(p.host().isEstablished()).isTrue();
        assertThat(p.host().peer()).get().extracting(Hello::software).isEqualTo("banger test-guest");
        assertThat(waitFor(p.guest()::isEstablished)).isTrue();
        assertThat(p.guest().peer()).get().extracting(Hello::software).isEqualTo("banger test-host");
        assertThat(p.host().ping(WAIT)).isPositive();
    }

    @Test
    void aHostThatSpeaksFirstKeepsItsSessionWhenTheGuestStartsLate() throws Exception {
        // The host's HELLO already waits on the line when the agent starts (a daemon connected before the
        // agent opened its port): the guest's own HELLO must go out before its answer, or the host would
        // take it, after the session began, for a restart.
        for (int i = 0; i < 30; i++) {
            Connections.Pair wires = Connections.socketPair(tmp);
            Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions(), null));
            Future<Hello> connecting = threads.submit(host::connect);
            Thread.sleep(5);
            Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions(), ECHO));
            guest.start();
            connecting.get(10, TimeUnit.SECONDS);
            assertThat(host.ping(WAIT)).as("round %d: the session survives the guest's own HELLO", i).isPositive();
            assertThat(host.closed()).isNotDone();
            host.close();
            guest.close();
        }
    }

    @Test
    void manyConcurrentStreamsEachEchoTheirOwnBytes() throws Exception {
        Pair p = connected(hostOptions(), guestOptions(), ECHO);
        int streams = 32;
        int size = 512 * 1024;
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            long seed = i;
            results.add(threads.submit(() -> {
                byte[] data = random(seed, size);
                Stream s = p.host().open(("echo " + seed).getBytes(StandardCharsets.UTF_8));
                Future<?> writer = threads.submit(() -> {
                    try (OutputStream out = s.output()) {
                        for (int at = 0; at < data.length; at += 10_000) {
                            out.write(data, at, Math.min(10_000, data.length - at));
                        }
                    }
                    return null;
                });
                byte[] back = s.input().readAllBytes();
                writer.get();
                assertThat(s.awaitEnd(WAIT)).get().isEqualTo(new StreamEnd(StreamEnd.Origin.PEER, StreamEnd.OK, ""));
                return MessageDigest.isEqual(sha256(back), sha256(data)) && back.length == size;
            }));
        }
        for (Future<Boolean> r : results) {
            assertThat(r.get()).isTrue();
        }
        ChannelStats host = p.host().stats();
        assertThat(host.maxStreamBufferedBytes()).isLessThanOrEqualTo(ChannelOptions.DEFAULT_WINDOW);
        assertThat(host.garbage()).isZero();
        assertThat(waitFor(() -> p.host().stats().streams() == 0 && p.guest().stats().streams() == 0)).isTrue();
    }

    @Test
    void aFloodingWriterIsHeldToTheReadersWindow() throws Exception {
        int window = 64 * 1024;
        int total = 8 * 1024 * 1024;
        byte[] data = random(7, total);
        CompletableFuture<Void> writerDone = new CompletableFuture<>();
        Pair p = connected(hostOptions().withWindow(window), guestOptions(), (stream, request) -> {
            OutputStream out = stream.output();
            for (int at = 0; at < total; at += 64 * 1024) {
                out.write(data, at, 64 * 1024);
            }
            writerDone.complete(null);
            stream.close(3, "flooded");
        });
        Stream s = p.host().open(new byte[0]);
        Thread.sleep(300); // nobody reads: the guest must stop at the window, not fill memory
        assertThat(p.host().stats().bufferedBytes()).isEqualTo(window);
        assertThat(writerDone).isNotDone();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int reads = 0;
        for (int n; (n = s.input().read(buf)) > 0; ) {
            got.write(buf, 0, n);
            if (++reads % 64 == 0) {
                Thread.sleep(1); // a slow reader
            }
        }
        assertThat(got.toByteArray()).isEqualTo(data);
        assertThat(s.awaitEnd(WAIT)).get().extracting(StreamEnd::status, StreamEnd::reason).containsExactly(3, "flooded");
        ChannelStats stats = p.host().stats();
        assertThat(stats.maxStreamBufferedBytes()).isEqualTo(window);
        assertThat(stats.maxBufferedBytes()).isEqualTo(window);
        assertThat(s.maxBuffered()).isEqualTo(window);
        assertThat(stats.bufferedBytes()).isZero();
    }

    @Test
    void eofHalfClosesAndCloseCarriesTheStatusAndReason() throws Exception {
        Pair p = connected(hostOptions(), guestOptions(), (stream, request) -> {
            String in = new String(stream.input().readAllBytes(), StandardCharsets.UTF_8);
            stream.output().write((new String(request, StandardCharsets.UTF_8) + ":" + in.toUpperCase()).getBytes(StandardCharsets.UTF_8));
            stream.closeOutput();
            stream.close(7, "done");
        });
        Stream s = p.host().open("req".getBytes(StandardCharsets.UTF_8));
        s.output().write("hello".getBytes(StandardCharsets.UTF_8));
        s.closeOutput();
        s.closeOutput(); // idempotent
        assertThatThrownBy(() -> s.output().write(1)).hasMessageContaining("output already closed");
        assertThat(new String(s.input().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("req:HELLO");
        assertThat(s.input().read()).isEqualTo(-1);
        assertThat(s.awaitEnd(WAIT)).get().isEqualTo(new StreamEnd(StreamEnd.Origin.PEER, 7, "done"));
    }

    @Test
    void writingToAStreamThePeerClosedFailsWithItsStatus() throws Exception {
        Pair p = connected(hostOptions(), guestOptions(), (stream, request) -> stream.close(2, "no thanks"));
        Stream s = p.host().open(new byte[0]);
        assertThat(s.awaitEnd(WAIT)).isPresent();
        assertThatThrownBy(() -> s.output().write(new byte[10])).isInstanceOf(IOException.class)
                .hasMessage("stream 1 was closed by the guest agent (status 2, no thanks)");
        assertThat(s.input().read()).isEqualTo(-1);
    }

    @Test
    void aHandlerThatThrowsFailsItsStreamWithTheMessage() throws Exception {
        Pair p = connected(hostOptions(), guestOptions(), (stream, request) -> {
            throw new IllegalStateException("no such command");
        });
        Stream s = p.host().open(new byte[0]);
        StreamEnd end = s.awaitEnd(WAIT).orElseThrow();
        assertThat(end.status()).isEqualTo(StreamEnd.FAILED);
        assertThat(end.reason()).contains("IllegalStateException: no such command");
        assertThat(waitFor(() -> guestLog.stream().anyMatch(l -> l.contains("no such command")))).isTrue();
    }

    @Test
    void theGuestRefusesStreamsBeyondItsLimitAndKeepsTheOthers() throws Exception {
        Pair p = connected(hostOptions(), guestOptions().withMaxStreams(2), ECHO);
        Stream a = p.host().open(new byte[0]);
        Stream b = p.host().open(new byte[0]);
        Stream c = p.host().open(new byte[0]);
        assertThatThrownBy(() -> c.input().read()).isInstanceOf(IOException.class)
                .hasMessageContaining("the guest agent reported an error on stream 5: too many streams: 2 are open, the limit is 2");
        for (Stream s : List.of(a, b)) {
            s.output().write("ok".getBytes(StandardCharsets.UTF_8));
            s.closeOutput();
            assertThat(s.input().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("ok");
        }
    }

    @Test
    void openingBeyondTheLocalLimitFailsAtOnce() throws Exception {
        Pair p = connected(hostOptions().withMaxStreams(2), guestOptions(), ECHO);
        p.host().open(new byte[0]);
        p.host().open(new byte[0]);
        assertThatThrownBy(() -> p.host().open(new byte[0])).isInstanceOfSatisfying(ChannelException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT));
        assertThatThrownBy(() -> p.host().open(new byte[Frames.MAX_PAYLOAD + 1])).isInstanceOf(ChannelException.class);
    }

    @Test
    void theGuestMayOpenStreamsToAHostWithAHandler() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions(), null));
        guest.start();
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions(), ECHO));
        host.connect();
        assertThat(waitFor(guest::isEstablished)).isTrue();
        Stream s = guest.open("event".getBytes(StandardCharsets.UTF_8));
        assertThat(s.id()).isEqualTo(2);
        s.output().write("ready".getBytes(StandardCharsets.UTF_8));
        s.closeOutput();
        assertThat(s.input().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("ready");
        // and the guest, without a handler, refuses the host's streams
        Stream refused = host.open(new byte[0]);
        assertThatThrownBy(() -> refused.input().read()).hasMessageContaining("this side accepts no streams");
    }

    @Test
    void closingTheChannelFailsEveryStreamOnBothSides() throws Exception {
        Reader guestSide = new Reader();
        Pair p = connected(hostOptions(), guestOptions(), guestSide);
        Stream s = p.host().open(new byte[0]);
        guestSide.started.get(10, TimeUnit.SECONDS);
        p.host().close("the VM is stopping");
        assertThat(guestSide.outcome.get(10, TimeUnit.SECONDS)).isEqualTo("bangerd closed the connection");
        assertThatThrownBy(() -> s.input().read()).hasMessage("the VM is stopping");
        assertThat(s.end()).get().extracting(StreamEnd::origin).isEqualTo(StreamEnd.Origin.FAILURE);
        assertThat(p.host().closed()).isCompletedWithValue("the VM is stopping");
        assertThat(p.guest().closed().get(10, TimeUnit.SECONDS)).isEqualTo("bangerd closed the connection");
        assertThatThrownBy(() -> p.host().open(new byte[0])).isInstanceOfSatisfying(ChannelException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.CLOSED));
    }

    @Test
    void closingTheInputDropsBytesButKeepsThePeerWriting() throws Exception {
        int total = 2 * 1024 * 1024;
        Pair p = connected(hostOptions().withWindow(16 * 1024), guestOptions(), (stream, request) -> {
            stream.output().write(new byte[total]);
            stream.close(0, "all sent");
        });
        Stream s = p.host().open(new byte[0]);
        s.input().close();
        assertThat(s.awaitEnd(WAIT)).get().extracting(StreamEnd::reason).isEqualTo("all sent");
        assertThat(p.host().stats().maxBufferedBytes()).isLessThanOrEqualTo(16 * 1024);
    }

    // ---- versions and the handshake

    @Test
    void aHostNewerThanTheImagesAgentSaysToRebuildTheImage() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions().withProtocols(1, 1), ECHO));
        guest.start();
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions().withProtocols(2, 2), null));
        assertThatThrownBy(host::connect).isInstanceOfSatisfying(ChannelException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.INCOMPATIBLE);
            assertThat(e.getMessage()).isEqualTo("the guest agent in this VM's image (banger test-guest) speaks channel protocol 1, but "
                    + "bangerd (banger test-host) needs protocol 2 or newer: rebuild the image with this banger (banger image build) "
                    + "and create the VM again from it");
        });
        assertThat(guestLog).anyMatch(l -> l.contains("bangerd (banger test-host) needs channel protocol 2 or newer"));
        assertThat(host.closed()).isDone();
    }

    @Test
    void aHostOlderThanTheImagesAgentSaysToUpgradeBanger() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions().withProtocols(2, 3), ECHO));
        guest.start();
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions(), null));
        assertThatThrownBy(host::connect).isInstanceOfSatisfying(ChannelException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.INCOMPATIBLE);
            assertThat(e.getMessage()).contains("needs channel protocol 2 or newer").contains("upgrade banger on this host");
        });
        assertThat(guest.isEstablished()).isFalse();
    }

    @Test
    void aSilentPeerTimesOutTheHandshake() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        track(wires.guest().socket());
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions().withHandshakeTimeout(Duration.ofMillis(300)), null));
        long start = System.nanoTime();
        assertThatThrownBy(host::connect).isInstanceOfSatisfying(ChannelException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
            assertThat(e.getMessage()).isEqualTo("no answer from the guest agent within 300 ms: is it running, and listening on this channel?");
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(host.closed()).isDone();
    }

    @Test
    void aPeerThatIsNotAChannelIsNamedAsSuch() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), hostOptions(), null));
        threads.submit(() -> { // an agent from before the channel: one JSON line, then goodbye
            wires.guest().in().read(new byte[100]);
            wires.guest().out().write("{\"ok\":false,\"error\":\"bad request\"}\n".getBytes(StandardCharsets.UTF_8));
            // End its side cleanly and read until the host hangs up: closing with the host's bytes unread
            // would reset the connection, and the host would see a reset instead of the end it is tested on.
            wires.guest().socket().shutdownOutput();
            wires.guest().in().transferTo(OutputStream.nullOutputStream());
            wires.guest().socket().close();
            return null;
        });
        assertThatThrownBy(host::connect).isInstanceOfSatisfying(ChannelException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.CLOSED);
            assertThat(e.getMessage()).contains("the guest agent closed the connection")
                    .contains("it sent 35 bytes and not one channel frame");
        });
    }

    @Test
    void theHostDropsWhatComesBeforeTheAckForItsOwnHello() throws Exception {
        HostAndRawGuest hg = hostWithRawGuest(hostOptions());
        Channel host = hg.host();
        RawPeer guest = hg.guest();
        Future<Hello> connecting = hg.connecting();
        Wire.Frame hello = guest.await(f -> f.type() == FrameType.HELLO.code(), WAIT);
        long nonce = Hello.decode(hello.payload(), 0, hello.payload().length).orElseThrow().nonce();
        Hello ack = new Hello(1, 1, Frames.MAX_PAYLOAD, 65536, nonce, "raw guest");
        guest.send(Wire.concat(
                new byte[] {0x17, 0x42, 0x33},                                       // the tail of an old frame
                new byte[] {0},
                Wire.frame(4, FrameType.DATA, new byte[] {1, 2}),                    // a stream of an old session
                Wire.frame(0, FrameType.HELLO_ACK, ack.withNonce(nonce + 1).encode()), // the answer to an old HELLO
                Wire.frame(0, FrameType.HELLO_ACK, ack.encode())));
        assertThat(connecting.get(10, TimeUnit.SECONDS).software()).isEqualTo("raw guest");
        assertThat(host.isEstablished()).isTrue();
        assertThat(host.stats().garbage()).isEqualTo(1);
    }

    @Test
    void aGuestAgentThatRestartsClosesTheHostsChannel() throws Exception {
        HostAndRawGuest hg = hostWithRawGuest(hostOptions());
        Channel host = hg.host();
        RawPeer guest = hg.guest();
        Future<Hello> connecting = hg.connecting();
        // an agent starting says HELLO on its own: while the host waits for its ACK, that changes nothing
        guest.send(Wire.concat(new byte[] {0}, Wire.frame(0, FrameType.HELLO, new Hello(1, 1, 65536, 65536, 5, "agent").encode())));
        ackAsGuest(guest);
        connecting.get(10, TimeUnit.SECONDS);
        Stream s = host.open(new byte[0]);
        guest.send(Wire.concat(new byte[] {0}, Wire.frame(0, FrameType.HELLO, new Hello(1, 1, 65536, 65536, 6, "agent").encode())));
        String reason = host.closed().get(10, TimeUnit.SECONDS);
        assertThat(reason).isEqualTo("the guest agent restarted (it said HELLO): its streams are gone; reconnect for a new session");
        assertThatThrownBy(() -> s.input().read()).hasMessage(reason);
    }

    @Test
    void aStartingGuestAnnouncesItselfWithADelimiterAndHello() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions(), ECHO));
        guest.start();
        byte[] first = new byte[1];
        assertThat(wires.host().in().read(first)).isEqualTo(1);
        assertThat(first[0]).isZero();
        RawPeer host = track(new RawPeer(wires.host().in(), wires.host().out()));
        Wire.Frame hello = host.await(f -> true, WAIT);
        assertThat(hello.type()).isEqualTo(FrameType.HELLO.code());
        assertThat(Hello.decode(hello.payload(), 0, hello.payload().length)).get().extracting(Hello::software).isEqualTo("banger test-guest");
        assertThat(guest.isEstablished()).isFalse(); // its own HELLO starts nothing: the host's does
    }

    // ---- a hostile or broken peer

    @Test
    void anUnknownFrameTypeIsAnsweredWithErrorAndTheChannelCarriesOn() throws Exception {
        RawPeer host = rawHostOf(guestOptions(), ECHO);
        host.send(0, 0x77, new byte[] {1, 2, 3});
        Wire.Frame error = host.await(f -> f.type() == FrameType.ERROR.code(), WAIT);
        assertThat(error.streamId()).isZero();
        assertThat(new String(error.payload(), StandardCharsets.UTF_8)).isEqualTo(
                "unknown frame type 119 (on stream 0) ignored: this side speaks channel protocol 1");
        host.send(5, 0x99, new byte[0]); // on a stream id too: still only a report
        assertThat(host.await(f -> f.type() == FrameType.ERROR.code(), WAIT).payload()).asString(StandardCharsets.UTF_8)
                .contains("unknown frame type 153 (on stream 5)");
        assertEchoes(host, 1);
    }

    @Test
    void dataBeyondTheGrantedCreditFailsThatStreamOnly() throws Exception {
        Reader handler = new Reader();
        RawPeer host = rawHostOf(guestOptions().withWindow(Handshake.MIN_WINDOW), handler);
        host.send(1, FrameType.OPEN, new byte[0]);
        host.send(1, FrameType.DATA, new byte[Handshake.MIN_WINDOW + 1]);
        Wire.Frame error = host.await(f -> f.type() == FrameType.ERROR.code(), WAIT);
        assertThat(error.streamId()).isEqualTo(1);
        assertThat(error.payload()).asString(StandardCharsets.UTF_8)
                .isEqualTo("4097 bytes of DATA on stream 1 with only 4096 bytes of credit granted");
        assertThat(handler.outcome.get(10, TimeUnit.SECONDS))
                .isEqualTo("protocol error by bangerd: 4097 bytes of DATA on stream 1 with only 4096 bytes of credit granted");
        assertEchoes(host, 3);
    }

    @Test
    void everyOtherStreamViolationIsAnsweredWithErrorOnThatStream() throws Exception {
        RawPeer host = rawHostOf(guestOptions(), (stream, request) -> stream.awaitEnd(Duration.ofSeconds(30)));
        record Case(byte[] frames, int stream, String error) {
        }
        List<Case> cases = List.of(
                new Case(Wire.concat(open(1), Wire.frame(1, FrameType.EOF, new byte[0]), Wire.frame(1, FrameType.DATA, new byte[1])),
                        1, "DATA on stream 1 after its EOF"),
                new Case(Wire.concat(open(3), Wire.frame(3, FrameType.EOF, new byte[0]), Wire.frame(3, FrameType.EOF, new byte[0])),
                        3, "a second EOF on stream 3"),
                new Case(Wire.concat(open(5), Wire.frame(5, FrameType.EOF, new byte[2])), 5, "EOF on stream 5 with a 2-byte payload"),
                new Case(Wire.concat(open(7), Wire.frame(7, FrameType.CREDIT, u32(1))), 7,
                        "CREDIT of 1 bytes on stream 7 would allow 262145 bytes in flight, beyond the announced window of 262144"),
                new Case(Wire.concat(open(9), Wire.frame(9, FrameType.CREDIT, new byte[3])), 9,
                        "CREDIT on stream 9 with a 3-byte payload (it carries a u32)"),
                new Case(Wire.concat(open(11), Wire.frame(11, FrameType.CLOSE, new byte[2])), 11,
                        "CLOSE on stream 11 with a 2-byte payload (it starts with an s32 status)"),
                new Case(open(4), 0, "OPEN with stream id 4: bangerd opens odd positive ids"),
                new Case(open(13), -1, null),
                new Case(open(13), 13, "OPEN reuses stream id 13 (ids only grow within a session)"),
                new Case(Wire.frame(101, FrameType.DATA, new byte[1]), 101, "DATA for stream 101, which is not open"),
                new Case(Wire.frame(0, FrameType.DATA, new byte[1]), 0, "DATA for stream 0, which is not open"),
                new Case(Wire.frame(3, FrameType.PING, new byte[1]), 0, "PING on stream 3 with 1 bytes: it belongs on stream 0, with at most 64"));
        for (Case c : cases) {
            host.send(c.frames());
            if (c.error() != null) {
                Wire.Frame error = host.await(f -> f.type() == FrameType.ERROR.code(), WAIT);
                assertThat(error.streamId()).as(c.error()).isEqualTo(c.stream());
                assertThat(error.payload()).asString(StandardCharsets.UTF_8).isEqualTo(c.error());
            }
        }
        // late frames for streams that have ended are dropped silently, and the channel still works
        host.send(Wire.concat(Wire.frame(1, FrameType.DATA, new byte[1]), Wire.frame(3, FrameType.CLOSE, u32(0))));
        assertEchoesAfterPing(host);
    }

    @Test
    void aPeerThatNeverReadsItsAnswersGetsTheChannelClosed() throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions(), ECHO));
        guest.start();
        RawPeer host = track(new RawPeer(wires.host().in(), wires.host().out()));
        host.helloAsHost(1);
        byte[] pings = Wire.concat(java.util.stream.IntStream.range(0, 20_000)
                .mapToObj(i -> Wire.frame(0, FrameType.PING, new byte[64])).toArray(byte[][]::new));
        threads.submit(() -> {
            host.send(pings); // and never read a PONG
            return null;
        });
        assertThat(guest.closed().get(20, TimeUnit.SECONDS)).satisfiesAnyOf(
                r -> assertThat(r).contains("does not read them"),
                r -> assertThat(r).contains("has not read what this side wrote"));
    }

    @Test
    void aWriteTheGuestNeverReadsClosesTheChannelAfterTheStallTimeout() throws Exception {
        Channel host = establishedWithRawGuest(hostOptions().withWriteStallTimeout(Duration.ofMillis(500))).host();
        List<Stream> streams = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // 2 MiB of credit: more than a socket buffer holds
            streams.add(host.open(new byte[0]));
        }
        List<Future<?>> writers = new ArrayList<>();
        for (Stream s : streams) {
            writers.add(threads.submit(() -> {
                s.output().write(new byte[ChannelOptions.DEFAULT_WINDOW]);
                return null;
            }));
        }
        long start = System.nanoTime();
        assertThat(host.closed().get(10, TimeUnit.SECONDS))
                .isEqualTo("the guest agent has not read what this side wrote for 500 ms (it hangs, or stopped reading)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        for (Future<?> w : writers) {
            try {
                w.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void garbageOnAnEstablishedSessionClosesTheHostsChannel() throws Exception {
        HostAndRawGuest hg = establishedWithRawGuest(hostOptions());
        Channel host = hg.host();
        RawPeer guest = hg.guest();
        Stream s = host.open(new byte[0]);
        guest.send(new byte[] {5, 1, 2, 3, 4, 0});
        String reason = host.closed().get(10, TimeUnit.SECONDS);
        assertThat(reason).startsWith("garbled bytes from the guest agent: a frame of 4 bytes, shorter than the 13-byte minimum");
        assertThatThrownBy(() -> s.input().read()).hasMessage(reason);
        assertThat(hostLog).contains("host: channel closed: " + reason);
    }

    @Test
    void garbageOnAnEstablishedSessionResetsTheGuestUntilTheNextHello() throws Exception {
        Reader handler = new Reader();
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guestChannel = track(Channel.guest(wires.guest().in(), wires.guest().out(), guestOptions(), handler));
        guestChannel.start();
        RawPeer host = track(new RawPeer(wires.host().in(), wires.host().out()));
        host.helloAsHost(1);
        host.send(1, FrameType.OPEN, new byte[0]);
        host.send(Wire.concat(Wire.frame(1, FrameType.DATA, new byte[3]), new byte[] {0}));
        host.send(Arrays.copyOf(Wire.frame(1, FrameType.DATA, new byte[3]), 6)); // a frame cut by the next delimiter
        host.send(new byte[] {0});
        assertThat(handler.outcome.get(10, TimeUnit.SECONDS)).startsWith("garbled bytes from bangerd (a frame of 5 bytes, shorter")
                .endsWith("the session is reset until its next HELLO");
        assertThat(guestChannel.isEstablished()).isFalse();
        host.send(3, FrameType.OPEN, new byte[0]);
        assertThat(host.await(f -> f.type() == FrameType.ERROR.code(), WAIT).payload()).asString(StandardCharsets.UTF_8)
                .startsWith("no session");
        host.helloAsHost(2);
        assertEchoes(host, 1); // a new session: ids start again
    }

    // ---- reconnection over a serial port, as after a daemon restart

    @Test
    void aNewHostConnectionResetsTheGuestsStreamsEvenAfterAHalfWrittenFrame() throws Exception {
        SerialPort port = new SerialPort();
        Reader handler = new Reader();
        Channel guest = track(Channel.guest(port.guestIn, port.guestOut, guestOptions(), handler));
        guest.start();

        Connections.End first = port.attach();
        Channel daemon1 = daemonOn(first);
        Stream old = daemon1.open(new byte[0]);
        old.output().write("partial work".getBytes(StandardCharsets.UTF_8));
        handler.started.get(10, TimeUnit.SECONDS);
        // the daemon dies in the middle of a frame: half of it reaches the guest
        first.out().write(Arrays.copyOf(Wire.frame(1, FrameType.DATA, new byte[100]), 40));
        daemon1.close("killed");

        Channel daemon2 = daemonOn(port.attach());
        assertThat(handler.outcome.get(10, TimeUnit.SECONDS)).contains("session");
        Stream fresh = daemon2.open("echo".getBytes(StandardCharsets.UTF_8));
        fresh.output().write("after the restart".getBytes(StandardCharsets.UTF_8));
        fresh.closeOutput();
        assertThat(fresh.input().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("after the restart");
        assertThat(guest.stats().established()).isTrue();
        assertThat(guestLog).anyMatch(l -> l.contains("garbled bytes from bangerd"));
    }

    @Test
    void aCleanReconnectAlsoResetsTheGuestsStreams() throws Exception {
        SerialPort port = new SerialPort();
        Reader handler = new Reader();
        Channel guest = track(Channel.guest(port.guestIn, port.guestOut, guestOptions(), handler));
        guest.start();
        Channel daemon1 = daemonOn(port.attach());
        daemon1.open(new byte[0]);
        daemon1.close();
        daemonOn(port.attach());
        assertThat(handler.outcome.get(10, TimeUnit.SECONDS))
                .isEqualTo("bangerd started a new session (it reconnected): this stream belonged to the previous one");
        assertThat(guest.stats().streams()).isZero();
    }

    // ---- helpers

    /**
     * Reads its stream to the end and records how that went: "EOF" or the failure's message. A stream
     * opened with a non-empty request is echoed instead.
     */
    private static final class Reader implements OpenHandler {
        final CompletableFuture<Void> started = new CompletableFuture<>();
        final CompletableFuture<String> outcome = new CompletableFuture<>();

        @Override
        public void onOpen(Stream stream, byte[] request) throws Exception {
            if (request.length > 0) {
                ECHO.onOpen(stream, request);
                return;
            }
            started.complete(null);
            try {
                stream.input().readAllBytes();
                outcome.complete("EOF");
            } catch (IOException e) {
                outcome.complete(e.getMessage());
            }
        }
    }

    /** A daemon's channel on a serial port connection, connected. */
    private Channel daemonOn(Connections.End connection) throws Exception {
        Channel daemon = track(Channel.host(connection.in(), connection.out(), hostOptions(), null));
        daemon.connect();
        return daemon;
    }

    private record HostAndRawGuest(Channel host, RawPeer guest, Future<Hello> connecting) {
    }

    /** A host channel connecting (in the background) to a guest the test plays by hand. */
    private HostAndRawGuest hostWithRawGuest(ChannelOptions options) throws IOException {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel host = track(Channel.host(wires.host().in(), wires.host().out(), options, null));
        RawPeer guest = track(new RawPeer(wires.guest().in(), wires.guest().out()));
        return new HostAndRawGuest(host, guest, threads.submit(host::connect));
    }

    private RawPeer rawHostOf(ChannelOptions options, OpenHandler handler) throws Exception {
        Connections.Pair wires = Connections.socketPair(tmp);
        Channel guest = track(Channel.guest(wires.guest().in(), wires.guest().out(), options, handler));
        guest.start();
        RawPeer host = track(new RawPeer(wires.host().in(), wires.host().out()));
        Hello ack = host.helloAsHost(99);
        assertThat(ack.nonce()).isEqualTo(99);
        return host;
    }

    /** {@link #hostWithRawGuest} with the handshake done. */
    private HostAndRawGuest establishedWithRawGuest(ChannelOptions options) throws Exception {
        HostAndRawGuest hg = hostWithRawGuest(options);
        ackAsGuest(hg.guest());
        hg.connecting().get(10, TimeUnit.SECONDS);
        return hg;
    }

    private static void ackAsGuest(RawPeer guest) throws IOException {
        Wire.Frame hello = guest.await(f -> f.type() == FrameType.HELLO.code(), WAIT);
        long nonce = Hello.decode(hello.payload(), 0, hello.payload().length).orElseThrow().nonce();
        guest.send(0, FrameType.HELLO_ACK, new Hello(1, 1, Frames.MAX_PAYLOAD, ChannelOptions.DEFAULT_WINDOW, nonce, "raw guest").encode());
    }

    /** Opens stream {@code id} with a non-empty request (an echo) through the raw peer and checks the echo. */
    private static void assertEchoes(RawPeer host, int id) throws IOException {
        host.send(Wire.concat(Wire.frame(id, FrameType.OPEN, "echo".getBytes(StandardCharsets.UTF_8)),
                Wire.frame(id, FrameType.DATA, "abc".getBytes(StandardCharsets.UTF_8)), Wire.frame(id, FrameType.EOF, new byte[0])));
        Wire.Frame data = host.await(f -> f.streamId() == id && f.type() == FrameType.DATA.code(), WAIT);
        assertThat(data.payload()).asString(StandardCharsets.UTF_8).isEqualTo("abc");
        host.await(f -> f.streamId() == id && f.type() == FrameType.EOF.code(), WAIT);
        Wire.Frame close = host.await(f -> f.streamId() == id && f.type() == FrameType.CLOSE.code(), WAIT);
        assertThat(close.payload()).containsExactly(0, 0, 0, 0);
    }

    private static void assertEchoesAfterPing(RawPeer host) throws IOException {
        host.send(0, FrameType.PING, new byte[] {4, 2});
        assertThat(host.await(f -> f.type() == FrameType.PONG.code(), WAIT).payload()).containsExactly(4, 2);
    }

    private static byte[] open(int id) {
        return Wire.frame(id, FrameType.OPEN, new byte[0]);
    }

    private static byte[] u32(int v) {
        byte[] b = new byte[4];
        Frames.putInt(b, 0, v);
        return b;
    }

    private static boolean waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
