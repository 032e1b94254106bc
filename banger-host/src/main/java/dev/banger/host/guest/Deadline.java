package dev.banger.host.guest;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Closes something at a deadline, on a virtual thread: how a blocking read from an untrusted guest is
 * bounded in time when its channel has no timeout of its own. Closing early ({@link #fireNow}) is the
 * normal end; {@link #fired} tells a read that ended whether the deadline ended it.
 */
final class Deadline {
    /** What to close; may throw, which is ignored (it is closing anyway). */
    interface Closer {
        void close() throws Exception;
    }

    private final Closer closer;
    private final Duration timeout;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile boolean fired;
    private final Thread timer;

    private Deadline(Duration timeout, Closer closer) {
        this.closer = closer;
        this.timeout = timeout;
        this.timer = Thread.ofVirtual().name("agent-deadline").start(() -> {
            try {
                Thread.sleep(timeout);
                fired = true;
                closeOnce();
            } catch (InterruptedException e) {
                // closed or cancelled before the deadline
            }
        });
    }

    static Deadline closing(Duration timeout, Closer closer) {
        return new Deadline(timeout, closer);
    }

    Duration timeout() {
        return timeout;
    }

    boolean fired() {
        return fired;
    }

    /** Closes now (the caller is done). */
    void fireNow() {
        timer.interrupt();
        closeOnce();
    }

    /** Stops the timer without closing; {@link #fireNow} still closes. */
    void cancel() {
        timer.interrupt();
    }

    private void closeOnce() {
        if (done.compareAndSet(false, true)) {
            try {
                closer.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
