package dev.banger.daemon.rpc;

import java.time.Duration;

/**
 * What one RPC client may hold of the daemon, all in one place (docs/API.md lists them).
 *
 * <ul>
 * <li>{@code maxRequestBytes}: a request line's size; larger ones are refused and the connection closed.
 * <li>{@code maxConnections}: open connections in all, a bound on the daemon's file descriptors.
 * <li>{@code rootReserve}: of those, how many only root (uid 0) may use, so that no flood from other
 *     users can lock the administrator out.
 * <li>{@code maxPerUid}: open connections of one user other than root. A CLI command holds one connection
 *     while it runs, so 64 leaves room for a script running dozens of commands in parallel, while a
 *     user who forgets connections (or opens them on purpose) only ever exhausts their own share: it
 *     takes 63 users at their cap to fill what root does not keep.
 * <li>{@code lineTimeout}: once the first byte of a request line has arrived, the whole line must follow
 *     within it (a line arrives in milliseconds; a client trickling bytes is cut off).
 * <li>{@code idleTimeout}: the next request must begin within it after the previous response (or the
 *     connection). There is none while a request is served: vm start and image build report progress
 *     for minutes.
 * </ul>
 *
 * <p>The {@code banger.rpc.*} system properties override them, for tests that need a small cap or a
 * short timeout (through {@code BANGER_DAEMON_JAVA_OPTS}, which bin/bangerd passes to the JVM).
 */
record RpcLimits(int maxRequestBytes, int maxConnections, int rootReserve, int maxPerUid, Duration lineTimeout,
                 Duration idleTimeout) {
    static final RpcLimits DEFAULT = new RpcLimits(1024 * 1024, 4096, 64, 64, Duration.ofSeconds(10), Duration.ofSeconds(60));

    /**
     * How long a cut-off client gets to take its error line before its connection is closed regardless
     * (a client that reads nothing must not keep the connection's thread writing).
     */
    static final Duration CUT_OFF_GRACE = Duration.ofSeconds(2);

    RpcLimits {
        if (maxRequestBytes < 1 || maxPerUid < 1 || rootReserve < 1 || maxConnections <= rootReserve) {
            throw new IllegalArgumentException("RPC limits must be positive, with maxConnections above rootReserve: maxRequestBytes "
                    + maxRequestBytes + ", maxConnections " + maxConnections + ", rootReserve " + rootReserve + ", maxPerUid " + maxPerUid);
        }
        if (lineTimeout.toMillis() < 1 || idleTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("RPC timeouts must be at least 1 ms: line " + lineTimeout + ", idle " + idleTimeout);
        }
    }

    /** The defaults, with any {@code banger.rpc.*} system property applied. */
    static RpcLimits fromSystemProperties() {
        return new RpcLimits(DEFAULT.maxRequestBytes,
                Integer.getInteger("banger.rpc.maxConnections", DEFAULT.maxConnections),
                Integer.getInteger("banger.rpc.rootReserve", DEFAULT.rootReserve),
                Integer.getInteger("banger.rpc.maxPerUid", DEFAULT.maxPerUid),
                Duration.ofMillis(Long.getLong("banger.rpc.lineTimeoutMillis", DEFAULT.lineTimeout.toMillis())),
                Duration.ofMillis(Long.getLong("banger.rpc.idleTimeoutMillis", DEFAULT.idleTimeout.toMillis())));
    }

    /** Connections users other than root may hold together. */
    int nonRootMax() {
        return maxConnections - rootReserve;
    }

    /**
     * How often overdue connections are looked for: a tenth of the shorter timeout (so a deadline is
     * enforced at most 10% late), between 10 ms and 1 s. A sweep visits every open connection, a few
     * nanoseconds each.
     */
    Duration sweepInterval() {
        long tenth = Math.min(lineTimeout.toMillis(), idleTimeout.toMillis()) / 10;
        return Duration.ofMillis(Math.clamp(tenth, 10, 1000));
    }

    /** "10 s" or "1500 ms", for messages. */
    static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
