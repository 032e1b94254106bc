package dev.banger.daemon.rpc;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Logger;

/**
 * One thread for all connections that enforces their {@link ConnectionDeadline}s: Unix socket channels
 * have no read timeout, and a thread per connection to watch it would double the cost of every
 * connection. A connection that missed its deadline has its input shut down, which ends its thread's
 * blocked read; that thread then writes the client a JSON-RPC error saying why and closes. One whose
 * client does not take that line within the grace period is closed here.
 */
final class ConnectionReaper {
    private static final Logger LOG = Logger.getLogger(ConnectionReaper.class.getName());

    private final Map<SocketChannel, ConnectionDeadline> connections;
    private final Duration interval;
    private final Duration grace;
    private volatile Thread thread;

    /** @param connections the open connections, a live concurrent view the server keeps up to date */
    ConnectionReaper(Map<SocketChannel, ConnectionDeadline> connections, Duration interval, Duration grace) {
        this.connections = connections;
        this.interval = interval;
        this.grace = grace;
    }

    void start() {
        thread = Thread.ofVirtual().name("rpc-reaper").start(this::run);
    }

    void stop() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            sweep(System.nanoTime());
        }
    }

    /** Acts on every connection whose deadline has passed by {@code now}. */
    void sweep(long now) {
        connections.forEach((channel, deadline) -> {
            switch (deadline.check(now, grace)) {
                case CUT_OFF -> cutOff(channel, deadline);
                case CLOSE -> close(channel);
                case NOTHING -> {
                }
            }
        });
    }

    private static void cutOff(SocketChannel channel, ConnectionDeadline deadline) {
        LOG.fine(() -> "cutting off a connection that missed its " + deadline.missed() + " deadline");
        try {
            channel.shutdownInput();
        } catch (IOException | RuntimeException e) {
            // already closed, or shutting down failed: closing still ends the connection
            close(channel);
        }
    }

    private static void close(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // gone either way
        }
    }
}
