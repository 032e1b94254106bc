package dev.banger.daemon.publish;

import dev.banger.api.PublishedPort;
import dev.banger.api.VmRecord;
import dev.banger.channel.Relay;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * A TCP published port: the daemon listens on the host address and port and relays each accepted connection to the
 * guest, by one of two paths chosen per connection:
 * <ul>
 *   <li>direct: a TCP connection from the daemon to the guest's address over the bridge, when the service accepts there
 *       (bound to 0.0.0.0 or the guest's address). The host's kernel and the guest's do the work.</li>
 *   <li>through the agent: a {@code connect} stream on the agent channel, and the agent connects inside the guest, to
 *       loopback when the service listens there. This reaches a service bound to the guest's 127.0.0.1, and needs no
 *       guest network at all; under TCG it costs about twice the direct path per short request (docs/BENCHMARKS.md).</li>
 * </ul>
 * Half-closes pass through both ways. At most {@link #MAX_CONNECTIONS} connections at once per port: the
 * agent channel has a bounded number of streams, shared with exec and copies.
 */
final class TcpForwarder implements Forwarder {
    static final int MAX_CONNECTIONS = 32;
    /** A guest on the bridge answers a SYN in well under this, even under TCG; silence means a firewall in the guest. */
    static final int DIRECT_CONNECT_TIMEOUT_MILLIS = 1000;
    /** After the direct path failed, how long the agent alone carries this port's connections (no refused SYN each time). */
    static final java.time.Duration AGENT_STICKY = java.time.Duration.ofSeconds(5);
    private static final Logger LOG = Logger.getLogger(TcpForwarder.class.getName());

    private final VmRecord vm;
    private final PublishedPort port;
    private final GuestStreams guest;
    private final ServerSocketChannel server;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    /** Until when (System.nanoTime) connections skip the direct path. */
    private volatile long agentUntil = Long.MIN_VALUE;

    private TcpForwarder(VmRecord vm, PublishedPort port, GuestStreams guest, ServerSocketChannel server) {
        this.vm = vm;
        this.port = port;
        this.guest = guest;
        this.server = server;
    }

    /** Binds the host port (a BindException when it is taken) and starts accepting. */
    static TcpForwarder open(VmRecord vm, PublishedPort port, GuestStreams guest) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true); // a restarted daemon rebinds past TIME_WAIT
            server.bind(new InetSocketAddress(port.hostIp(), port.hostPort()), 128);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        TcpForwarder f = new TcpForwarder(vm, port, guest, server);
        Thread.ofVirtual().name("publish-" + port.hostPort()).start(f::acceptLoop);
        return f;
    }

    @Override
    public PublishedPort port() {
        return port;
    }

    @Override
    public int active() {
        return connections.size();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (connections.size() >= MAX_CONNECTIONS) {
                LOG.warning("published port " + port.spec() + " of VM " + vm.name() + ": " + MAX_CONNECTIONS
                        + " connections at once already; refusing one more");
                closeQuietly(client);
                continue;
            }
            connections.add(client);
            Thread.ofVirtual().start(() -> relay(client));
        }
    }

    private void relay(SocketChannel client) {
        try {
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
            closeQuietly(client);
            connections.remove(client);
            return;
        }
        SocketChannel direct = System.nanoTime() < agentUntil ? null : connectDirect();
        if (direct != null) {
            relayDirect(client, direct);
        } else {
            relayThroughAgent(client);
        }
    }

    /**
     * A connection to the guest's own address over the bridge, when something accepts there: the fast path (the host's
     * kernel and the guest's, no agent in between). Refused (the service listens on the guest's loopback only) or no
     * answer: null, and the agent carries this connection and those of the next {@link #AGENT_STICKY} too.
     */
    private SocketChannel connectDirect() {
        SocketChannel ch = GuestConnection.connectDirect(vm.runtime().guestIp(), port.guestPort(), DIRECT_CONNECT_TIMEOUT_MILLIS);
        if (ch == null) {
            agentUntil = System.nanoTime() + AGENT_STICKY.toNanos();
        }
        return ch;
    }

    private void relayDirect(SocketChannel client, SocketChannel guestSide) {
        try (guestSide) {
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    Relay.copy(Channels.newInputStream(client), Channels.newOutputStream(guestSide));
                    guestSide.shutdownOutput();
                } catch (IOException e) {
                    closeQuietly(guestSide);
                }
            });
            try {
                Relay.copy(Channels.newInputStream(guestSide), Channels.newOutputStream(client));
                client.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(client);
            }
            up.join();
        } catch (IOException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.remove(client);
            closeQuietly(client);
        }
    }

    private void relayThroughAgent(SocketChannel client) {
        Stream stream = null;
        try {
            stream = guest.open(vm, Map.of("op", "connect", "port", port.guestPort()));
            Stream s = stream;
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    Relay.copy(Channels.newInputStream(client), s.output());
                    s.closeOutput();
                } catch (IOException e) {
                    s.close(1, "the host side of the connection failed");
                }
            });
            try {
                Relay.copy(s.input(), Channels.newOutputStream(client));
                if (s.end().map(end -> end.status() != 0).orElse(false)) {
                    closeQuietly(client); // nothing listens in the guest: the client sees the connection end at once
                } else {
                    client.shutdownOutput();
                }
            } catch (IOException e) {
                closeQuietly(client); // the guest side failed or the client went away: end both
            }
            up.join();
        } catch (RuntimeException e) {
            LOG.fine("published port " + port.spec() + " of VM " + vm.name() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (stream != null) {
                stream.close(0, "closed");
            }
            connections.remove(client);
            closeQuietly(client);
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
        for (SocketChannel c : connections) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
