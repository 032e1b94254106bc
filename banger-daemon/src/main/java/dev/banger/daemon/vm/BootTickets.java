package dev.banger.daemon.vm;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The starts in progress, one per VM, each with a flag a stop or a delete raises to cancel it. A start
 * waits for its guest without holding the VM's lock; the flag is how it learns that someone else has
 * taken the VM over, and must neither finish nor undo anything.
 */
final class BootTickets {
    /** One start of one VM. */
    static final class Ticket {
        private volatile String cancelledBy;

        boolean cancelled() {
            return cancelledBy != null;
        }

        /** What cancelled it ("stopped", "deleted"), or null. */
        String cancelledBy() {
            return cancelledBy;
        }
    }

    private final ConcurrentHashMap<String, Ticket> byVm = new ConcurrentHashMap<>();

    Ticket begin(String vmId) {
        Ticket t = new Ticket();
        byVm.put(vmId, t);
        return t;
    }

    void end(String vmId, Ticket t) {
        byVm.remove(vmId, t);
    }

    /** Cancels {@code vmId}'s start, if one is in progress; {@code by} says what did ("stopped", "deleted"). */
    void cancel(String vmId, String by) {
        Ticket t = byVm.get(vmId);
        if (t != null) {
            t.cancelledBy = by;
        }
    }
}
