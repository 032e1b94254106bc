package dev.banger.daemon.e2b;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What watches a long Connect stream while its thread waits on the guest: a keepalive message whenever the stream has
 * been silent for its interval (the SDK's HTTP client drops a body silent for 300 s), and the call's deadline. A client
 * gone (a keepalive that cannot be written) or the deadline reached runs {@code stop} (told whether it was the deadline), which closes the guest side so
 * the waiting thread wakes and nothing is left behind.
 */
final class StreamGuard implements AutoCloseable {
    private final ScheduledFuture<?> keepalive;
    private final ScheduledFuture<?> deadline;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile boolean deadlinePassed;
    private final Consumer<Boolean> stop;

    StreamGuard(ScheduledExecutorService timers, ConnectCall call, ObjectNode keepaliveMessage, int keepaliveSeconds,
                OptionalLong deadlineMillis, Consumer<Boolean> stop) {
        this.stop = stop;
        this.keepalive = timers.scheduleWithFixedDelay(() -> {
            if (!call.keepalive(keepaliveMessage, keepaliveSeconds)) {
                stopOnce();
            }
        }, 1, 1, TimeUnit.SECONDS);
        this.deadline = deadlineMillis.isPresent() ? timers.schedule(() -> {
            deadlinePassed = true;
            stopOnce();
        }, deadlineMillis.getAsLong(), TimeUnit.MILLISECONDS) : null;
    }

    boolean deadlinePassed() {
        return deadlinePassed;
    }

    private void stopOnce() {
        if (stopped.compareAndSet(false, true)) {
            stop.accept(deadlinePassed);
        }
    }

    @Override
    public void close() {
        keepalive.cancel(false);
        if (deadline != null) {
            deadline.cancel(false);
        }
    }
}
