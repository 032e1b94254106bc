package dev.banger.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random and mutated byte streams fed to a receiving channel, for a bounded time: nothing may escape
 * (an exception in the reader would close the channel as an "internal error"; one in any thread reaches
 * the uncaught-exception handler), and the memory bounds must hold whatever arrives.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelFuzzTest {
    private static final Duration BUDGET = Duration.ofMillis(2000);
    private static final int WINDOW = Handshake.MIN_WINDOW;
    private static final int STREAMS = 4;
    private static final int PAYLOAD = Frames.MIN_PAYLOAD;

    private final List<String> escaped = new CopyOnWriteArrayList<>();
    private Thread.UncaughtExceptionHandler previous;

    @BeforeEach
    void watchThreads() {
        previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> escaped.add(t.getName() + ": " + e));
    }

    @AfterEach
    void restore() {
        Thread.setDefaultUncaughtExceptionHandler(previous);
    }

    private ChannelOptions options(List<String> log) {
        return ChannelOptions.defaults("fuzz").withWindow(WINDOW).withMaxStreams(STREAMS).withMaxPayload(PAYLOAD)
                .withWriteStallTimeout(Duration.ofSeconds(5)).withLog(log::add);
    }

    /** Handlers that read nothing, so that the peer's bytes pile up against the window. */
    private static final OpenHandler IDLE = (stream, request) -> stream.awaitEnd(Duration.ofSeconds(30));

    /** One round: a channel that has been fed and has closed (the runner checks it). */
    private interface Round {
        Channel play(Random random, int iteration, List<String> log) throws Exception;
    }

    /** Plays rounds for {@link #BUDGET}; after each, nothing escaped and every bound held. */
    private void fuzz(String name, Round round) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int iterations = 0;
        int buffering = 0;
        while (System.nanoTime() < deadline) {
            iterations++;
            String context = name + ": seed " + seed + ", iteration " + iterations;
            List<String> log = new CopyOnWriteArrayList<>();
            Channel channel = round.play(random, iterations, log);
            assertThat(channel.closed().get(10, TimeUnit.SECONDS)).as(context).doesNotContain("internal error");
            assertThat(log).as(context).noneMatch(l -> l.contains("internal error"));
            ChannelStats stats = channel.stats();
            assertThat(stats.maxStreamBufferedBytes()).as(context).isLessThanOrEqualTo(WINDOW);
            assertThat(stats.maxBufferedBytes()).as(context).isLessThanOrEqualTo((long) STREAMS * WINDOW);
            assertThat(stats.decoderCapacity()).as(context).isEqualTo(Frames.HEADER + PAYLOAD + Frames.TRAILER);
            assertThat(stats.streams()).as(context).isZero(); // closed: every stream failed and let go
            buffering += stats.maxBufferedBytes() > 0 ? 1 : 0;
        }
        assertThat(escaped).isEmpty();
        assertThat(iterations).isGreaterThan(20);
        assertThat(buffering).as("iterations that reached a stream's buffer").isPositive();
        System.out.println(name + ": " + iterations + " iterations (" + buffering + " reached a stream buffer), seed " + seed);
    }

    @Test
    void aGuestSurvivesWhateverTheHostSends() throws Exception {
        fuzz("guest fuzz", (random, iteration, log) -> {
            byte[] input = switch (iteration % 3) {
                case 0 -> randomBytes(random);
                case 1 -> mutate(random, hostScript(random));
                default -> hostScript(random);
            };
            Channel guest = Channel.guest(new ByteArrayInputStream(input), OutputStream.nullOutputStream(), options(log), IDLE);
            guest.start(); // reads it all, then the end of input closes it
            return guest;
        });
    }

    @Test
    void aHostSurvivesWhateverTheGuestSendsAfterItsHandshake() throws Exception {
        fuzz("host fuzz", (random, iteration, log) -> {
            BytePipe toHost = new BytePipe(1 << 20);
            BytePipe fromHost = new BytePipe(1 << 20);
            Channel host = Channel.host(toHost.in, fromHost.out, options(log), IDLE);
            CountDownLatch opened = new CountDownLatch(1);
            byte[] script = iteration % 2 == 0 ? mutate(random, guestScript(random)) : guestScript(random);
            Thread guest = Thread.ofVirtual().start(() -> playGuest(fromHost, toHost, opened, script));
            host.connect();
            for (int i = 0; i < 3; i++) {
                try {
                    Stream s = host.open(new byte[] {(byte) i});
                    s.output().write(new byte[random.nextInt(WINDOW + 1)]); // within the credit: never waits for the guest
                } catch (IOException e) {
                    break; // the guest's garbage may have closed the channel already
                }
                opened.countDown(); // the script may come: it has streams to talk about
            }
            opened.countDown();
            host.closed().get(10, TimeUnit.SECONDS); // the script ends with the guest hanging up
            guest.join(10_000);
            return host;
        });
    }

    /** Answers the host's HELLO properly, then sends the script and hangs up; drains the host's output meanwhile. */
    private static void playGuest(BytePipe fromHost, BytePipe toHost, CountDownLatch opened, byte[] script) {
        try {
            FrameDecoder decoder = new FrameDecoder(Frames.MAX_PAYLOAD);
            Wire.Collector seen = new Wire.Collector();
            byte[] buf = new byte[8192];
            while (seen.frames.stream().noneMatch(f -> f.type() == FrameType.HELLO.code())) {
                int n = fromHost.in.read(buf);
                if (n < 0) {
                    return;
                }
                decoder.feed(buf, 0, n, seen);
            }
            Wire.Frame hello = seen.frames.stream().filter(f -> f.type() == FrameType.HELLO.code()).findFirst().orElseThrow();
            long nonce = Hello.decode(hello.payload(), 0, hello.payload().length).orElseThrow().nonce();
            toHost.out.write(Wire.frame(0, FrameType.HELLO_ACK, new Hello(1, 1, PAYLOAD, WINDOW, nonce, "fuzz").encode()));
            Thread drain = Thread.ofVirtual().start(() -> {
                try {
                    while (fromHost.in.read(buf) >= 0) {
                        // discard
                    }
                } catch (IOException e) {
                    // the host closed
                }
            });
            opened.await(5, TimeUnit.SECONDS);
            toHost.out.write(script);
            toHost.out.close();
            drain.join(10_000);
        } catch (IOException | InterruptedException e) {
            // the host closed first
        }
    }

    // ---- generators

    private static byte[] randomBytes(Random r) {
        byte[] b = new byte[r.nextInt(20_000)];
        r.nextBytes(b);
        if (r.nextBoolean()) { // sprinkle delimiters, so that some pieces are frame-sized
            for (int i = 0; i < b.length; i += 1 + r.nextInt(64)) {
                b[i] = 0;
            }
        }
        return b;
    }

    /** A plausible session from a host: a HELLO, then stream frames, with wrong ids, sizes and types mixed in. */
    private static byte[] hostScript(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0});
        out.writeBytes(Wire.frame(0, FrameType.HELLO, hello(r).encode()));
        int frames = r.nextInt(60);
        for (int i = 0; i < frames; i++) {
            if (r.nextInt(20) == 0) {
                out.writeBytes(Wire.frame(0, FrameType.HELLO, hello(r).encode())); // a reconnect mid-stream
            }
            out.writeBytes(streamFrame(r, 1 + 2 * r.nextInt(8)));
        }
        return out.toByteArray();
    }

    /** What a guest might send to a host: frames on the host's streams (odd ids) and its own OPENs (even ids). */
    private static byte[] guestScript(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int frames = r.nextInt(60);
        for (int i = 0; i < frames; i++) {
            int id = r.nextBoolean() ? 1 + 2 * r.nextInt(3) : 2 + 2 * r.nextInt(4);
            out.writeBytes(streamFrame(r, id));
        }
        return out.toByteArray();
    }

    private static Hello hello(Random r) {
        return r.nextInt(5) == 0
                ? new Hello(r.nextInt(4), r.nextInt(4), r.nextInt(), r.nextInt(), r.nextLong(), "odd")
                : new Hello(1, 1, PAYLOAD, WINDOW, r.nextLong(), "fuzz host");
    }

    private static byte[] streamFrame(Random r, int id) {
        int streamId = r.nextInt(15) == 0 ? r.nextInt() : id;
        int pick = r.nextInt(12);
        return switch (pick) {
            case 0, 1 -> Wire.frame(streamId, FrameType.OPEN, randomPayload(r, 100));
            case 2, 3, 4 -> Wire.frame(streamId, FrameType.DATA, randomPayload(r, r.nextInt(10) == 0 ? PAYLOAD + 200 : PAYLOAD));
            case 5 -> Wire.frame(streamId, FrameType.EOF, r.nextInt(5) == 0 ? new byte[1] : new byte[0]);
            case 6 -> Wire.frame(streamId, FrameType.CLOSE, randomPayload(r, 40));
            case 7 -> Wire.frame(streamId, FrameType.CREDIT, r.nextInt(4) == 0 ? randomPayload(r, 8) : u32(r.nextInt(2 * WINDOW)));
            case 8 -> Wire.frame(streamId, FrameType.ERROR, randomPayload(r, 300));
            case 9 -> Wire.frame(r.nextInt(3) == 0 ? streamId : 0, FrameType.PING, randomPayload(r, 100));
            case 10 -> Wire.frame(0, FrameType.PONG, randomPayload(r, 10));
            default -> Wire.frame(streamId, 11 + r.nextInt(245), randomPayload(r, 50));
        };
    }

    private static byte[] randomPayload(Random r, int max) {
        byte[] b = new byte[r.nextInt(max + 1)];
        r.nextBytes(b);
        return b;
    }

    private static byte[] u32(int v) {
        byte[] b = new byte[4];
        Frames.putInt(b, 0, v);
        return b;
    }

    /** A few random edits: bit flips, cuts, duplicated or inserted ranges, stray delimiters. */
    static byte[] mutate(Random r, byte[] in) {
        byte[] b = in.clone();
        int edits = 1 + r.nextInt(5);
        for (int e = 0; e < edits && b.length > 2; e++) {
            int at = r.nextInt(b.length);
            int len = 1 + r.nextInt(Math.min(200, b.length - at));
            b = switch (r.nextInt(5)) {
                case 0 -> {
                    b[at] ^= (byte) (1 << r.nextInt(8));
                    yield b;
                }
                case 1 -> Wire.concat(java.util.Arrays.copyOf(b, at), java.util.Arrays.copyOfRange(b, at + len, b.length));
                case 2 -> Wire.concat(java.util.Arrays.copyOf(b, at + len), java.util.Arrays.copyOfRange(b, at, b.length));
                case 3 -> {
                    byte[] junk = new byte[len];
                    r.nextBytes(junk);
                    yield Wire.concat(java.util.Arrays.copyOf(b, at), junk, java.util.Arrays.copyOfRange(b, at, b.length));
                }
                default -> {
                    b[at] = 0;
                    yield b;
                }
            };
        }
        return b;
    }
}
