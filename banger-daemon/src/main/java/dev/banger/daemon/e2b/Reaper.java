package dev.banger.daemon.e2b;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Kills sandboxes at their end time. The end times live in SQLite, so a daemon restart picks them up (one that passed while
 * the daemon was down is killed at once); the thread sleeps until the earliest and is woken when one changes.
 */
final class Reaper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Reaper.class.getName());
    /** Re-read at least this often, whatever happened: a missed wake-up costs at most this. */
    private static final Duration IDLE = Duration.ofMinutes(1);

    private final Sandboxes sandboxes;
    private final Clock clock;
    private final Object signal = new Object();
    private boolean woken;
    private volatile boolean closed;
    private Thread thread;

    Reaper(Sandboxes sandboxes, Clock clock) {
        this.sandboxes = sandboxes;
        this.clock = clock;
    }

    void start() {
        sandboxes.onChange(this::wake);
        thread = Thread.ofPlatform().daemon().name("e2b-reaper").start(this::loop);
    }

    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void loop() {
        while (!closed) {
            Optional<Instant> next;
            try {
                next = sandboxes.reapExpired();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "e2b: the timeout reaper failed a round; trying again", e);
                next = Optional.of(clock.instant().plusSeconds(5));
            }
            long waitMs = next.map(t -> Duration.between(clock.instant(), t).toMillis()).orElse(IDLE.toMillis());
            waitMs = Math.clamp(waitMs, 1, IDLE.toMillis());
            synchronized (signal) {
                if (!woken && !closed) {
                    try {
                        signal.wait(waitMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        wake();
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
