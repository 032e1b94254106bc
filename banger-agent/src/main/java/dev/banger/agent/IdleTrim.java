package dev.banger.agent;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives memory back once the agent has had nothing to do for a moment: a full collection (the serial
 * collector then shrinks the heap to what {@code -XX:MaxHeapFreeRatio} allows and returns the rest to the
 * kernel) and glibc's {@code malloc_trim}. A copy or a burst of commands grows the heap and malloc's arenas;
 * without this the agent would keep that high-water mark for the rest of the VM's life. Nothing runs while
 * any request is being served.
 */
final class IdleTrim {
    /** How long the agent must have been idle. */
    static final long QUIET_MILLIS = 2_000;

    private final long quietMillis;
    private final Runnable trim;
    private final AtomicInteger active = new AtomicInteger();
    /** Bumped by every request: a trim scheduled before the latest one is stale. */
    private final AtomicLong generation = new AtomicLong();

    /** {@code trim} runs once the agent has been idle {@code quietMillis}; {@link #giveBack} in the agent. */
    IdleTrim(long quietMillis, Runnable trim) {
        this.quietMillis = quietMillis;
        this.trim = trim;
    }

    void begin() {
        active.incrementAndGet();
        generation.incrementAndGet();
    }

    void end() {
        if (active.decrementAndGet() == 0) {
            long scheduledAt = generation.get();
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(quietMillis);
                } catch (InterruptedException e) {
                    return;
                }
                if (active.get() == 0 && generation.get() == scheduledAt) {
                    trim.run();
                }
            });
        }
    }

    /** A full collection, then glibc's malloc_trim; false when the latter could not be called. */
    static boolean giveBack() {
        System.gc();
        try (Arena arena = Arena.ofConfined()) {
            Holder.MALLOC_TRIM.call(Libc.errnoState(arena), 0);
            return true;
        } catch (RuntimeException | Error t) {
            return false; // not glibc, or no FFM: the heap was still shrunk
        }
    }

    /** Loaded on first trim only. */
    private static final class Holder {
        static final Libc.Fn MALLOC_TRIM = Libc.fn("malloc_trim");
    }
}
