package dev.banger.daemon.rpc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * By when one connection's client must next do something, and whether it missed it. The connection's
 * own thread moves it along (waiting for a request, a line begun, serving); the {@link ConnectionReaper}
 * alone declares it missed. Both sides change it only by compare-and-set, so a request that completes
 * just as its deadline passes is either served or cut off, never both. Times are {@link System#nanoTime()}
 * values, passed in so that tests can choose them.
 */
final class ConnectionDeadline {
    /** What the client was expected to do. */
    enum Phase {
        /** Begin a request: the idle timeout. */
        IDLE,
        /** Finish the request line it has begun: the line timeout. */
        LINE
    }

    /** What the reaper should do about a connection now. */
    enum Action {
        NOTHING,
        /** The deadline has just been missed: stop reading, so that its thread tells the client why and closes. */
        CUT_OFF,
        /** Missed more than the grace period ago and still open: the client is not taking its error line; close. */
        CLOSE
    }

    /** {@code missed}: the phase was missed at {@code at}; otherwise it must be done by {@code at}. */
    private record Due(long at, Phase phase, boolean missed) {
    }

    /** While a request is served there is no deadline. */
    private static final Due NONE = new Due(0, null, false);

    private final long lineNanos;
    private final long idleNanos;
    private final AtomicReference<Due> due = new AtomicReference<>();
    /** When the idle phase ends (the connection's thread alone reads and writes it). */
    private long idleUntil;

    ConnectionDeadline(Duration lineTimeout, Duration idleTimeout, long now) {
        this.lineNanos = lineTimeout.toNanos();
        this.idleNanos = idleTimeout.toNanos();
        awaitRequest(now);
    }

    /** A request may now begin: the idle clock starts. @return false when the deadline was already missed */
    boolean awaitRequest(long now) {
        idleUntil = now + idleNanos;
        return move(new Due(idleUntil, Phase.IDLE, false));
    }

    /** The first byte of a line arrived: the rest must follow within the line timeout. */
    boolean lineStarted(long now) {
        return move(new Due(now + lineNanos, Phase.LINE, false));
    }

    /** The line was blank, which is no request: the idle clock runs on from where it was. */
    boolean blankLine() {
        return move(new Due(idleUntil, Phase.IDLE, false));
    }

    /** A complete request is being served: no deadline until {@link #awaitRequest}. */
    boolean serving() {
        return move(NONE);
    }

    private boolean move(Due next) {
        while (true) {
            Due current = due.get();
            if (current != null && current.missed()) {
                return false;
            }
            if (due.compareAndSet(current, next)) {
                return true;
            }
        }
    }

    /** The phase the client missed (its deadline passed and the reaper acted), or null. */
    Phase missed() {
        Due d = due.get();
        return d.missed() ? d.phase() : null;
    }

    /** The reaper's look at this connection at {@code now}. */
    Action check(long now, Duration grace) {
        Due d = due.get();
        if (d == NONE) {
            return Action.NOTHING;
        }
        if (d.missed()) {
            return now - d.at() > grace.toNanos() ? Action.CLOSE : Action.NOTHING;
        }
        if (now - d.at() < 0) {
            return Action.NOTHING;
        }
        return due.compareAndSet(d, new Due(now, d.phase(), true)) ? Action.CUT_OFF : Action.NOTHING;
    }
}
