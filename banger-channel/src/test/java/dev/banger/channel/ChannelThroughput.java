package dev.banger.channel;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A rough throughput figure, not a test: one stream through a host and a guest channel over a Unix
 * socket pair, the codec alone, and many small writes. Run after {@code mvn -pl banger-channel test-compile}:
 * <pre>java -cp banger-channel/target/classes:banger-channel/target/test-classes dev.banger.channel.ChannelThroughput [MiB]</pre>
 */
public final class ChannelThroughput {
    private ChannelThroughput() {
    }

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 2048;
        codecOnly(mib);
        for (int round = 0; round < 3; round++) {
            overSockets(mib, 64 * 1024);
        }
        overSockets(mib / 8, 1024);
    }

    private static void codecOnly(long mib) {
        FrameEncoder encoder = new FrameEncoder(Frames.MAX_PAYLOAD);
        FrameDecoder decoder = new FrameDecoder(Frames.MAX_PAYLOAD);
        byte[] payload = new byte[Frames.MAX_PAYLOAD];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + (i >> 8)); // some zeros, mostly not
        }
        long[] received = {0};
        FrameDecoder.Listener count = new FrameDecoder.Listener() {
            @Override
            public void frame(int streamId, int type, byte[] buffer, int offset, int length) {
                received[0] += length;
            }

            @Override
            public void garbage(String reason) {
                throw new AssertionError(reason);
            }
        };
        long frames = mib * 1024 * 1024 / payload.length;
        long start = System.nanoTime();
        for (long i = 0; i < frames; i++) {
            int n = encoder.encode(1, FrameType.DATA.code(), payload, 0, payload.length);
            decoder.feed(encoder.buffer(), 0, n, count);
        }
        report("codec only (encode + decode, 64 KiB frames)", received[0], System.nanoTime() - start);
    }

    private static void overSockets(long mib, int writeSize) throws Exception {
        Path dir = Files.createTempDirectory("channel-throughput");
        Connections.Pair wires = Connections.socketPair(dir);
        long total = mib * 1024 * 1024;
        OpenHandler sink = (stream, request) -> {
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            InputStream in = stream.input();
            for (int n; (n = in.read(buf)) > 0; ) {
                got += n;
            }
            stream.close(got == total ? 0 : 1, Long.toString(got));
        };
        try (Channel guest = Channel.guest(wires.guest().in(), wires.guest().out(), ChannelOptions.defaults("guest"), sink);
                Channel host = Channel.host(wires.host().in(), wires.host().out(), ChannelOptions.defaults("host"), null)) {
            guest.start();
            host.connect();
            byte[] chunk = new byte[writeSize];
            Arrays.fill(chunk, (byte) 7);
            long start = System.nanoTime();
            Stream s = host.open(new byte[0]);
            OutputStream out = s.output();
            for (long sent = 0; sent < total; sent += chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, total - sent));
            }
            s.closeOutput();
            StreamEnd end = s.awaitEnd(java.time.Duration.ofMinutes(5)).orElseThrow();
            long elapsed = System.nanoTime() - start;
            if (end.status() != 0) {
                throw new AssertionError("the guest counted " + end.reason() + " bytes, not " + total);
            }
            report("one stream over a Unix socket pair, " + writeSize + "-byte writes", total, elapsed);
            System.out.printf("    guest buffered at most %d bytes (window %d)%n", guest.stats().maxBufferedBytes(), ChannelOptions.DEFAULT_WINDOW);
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    private static void report(String what, long bytes, long nanos) {
        System.out.printf("%-60s %8.0f MB/s (%d MiB in %.2f s)%n", what, bytes / (nanos / 1e9) / 1e6, bytes >> 20, nanos / 1e9);
    }
}
