package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reaper on a real connection, at times the test chooses. */
class ConnectionReaperTest {
    private static final long S = 1_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void anOverdueConnectionHasItsInputShutThenIsClosedWhenItLingersPastTheGrace() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(dir.resolve("s.sock")));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s.sock")));
                 SocketChannel served = listener.accept()) {
                long t0 = 0;
                ConnectionDeadline deadline = new ConnectionDeadline(Duration.ofSeconds(10), Duration.ofSeconds(60), t0);
                Map<SocketChannel, ConnectionDeadline> open = new ConcurrentHashMap<>(Map.of(served, deadline));
                ConnectionReaper reaper = new ConnectionReaper(open, Duration.ofSeconds(1), Duration.ofSeconds(2));

                reaper.sweep(t0 + 59 * S);
                assertThat(deadline.missed()).isNull();

                reaper.sweep(t0 + 60 * S);
                assertThat(deadline.missed()).isEqualTo(ConnectionDeadline.Phase.IDLE);
                assertThat(served.read(ByteBuffer.allocate(16))).as("a read ends at once, as at end of stream").isEqualTo(-1);
                assertThat(served.isOpen()).as("open, so that its thread can still tell the client why").isTrue();

                reaper.sweep(t0 + 62 * S);
                assertThat(served.isOpen()).isTrue();
                reaper.sweep(t0 + 62 * S + 1);
                assertThat(served.isOpen()).as("closed: the grace is over").isFalse();
            }
        }
    }
}
