package dev.banger.host.proc;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.time.Duration;
import java.util.function.LongPredicate;

/**
 * Stops a VMM the way a machine is switched off: a press (QEMU's ACPI power button, Firecracker's
 * Ctrl-Alt-Del), pressed again every few seconds during a grace period, then SIGKILL. A press is an event,
 * not a state, and one that arrives before the guest listens (early boot) is lost for good; hence the
 * repeats. When the VMM cannot be asked at all the kill comes at once: nothing else could ask the guest.
 * Never signals a pid that {@code stillOurs} does not vouch for (pids get reused).
 */
public final class GracefulStop {
    /** How long an exiting VMM may take to be gone once the guest powered off. */
    private static final Duration EXIT_SETTLE = Duration.ofSeconds(5);
    private static final Duration EXIT_POLL = Duration.ofMillis(20);

    private static final Duration POLL = Duration.ofMillis(50);

    /** One press of the VMM's off switch, bounded by {@code timeout}; a BangerException when the VMM cannot be asked. */
    @FunctionalInterface
    public interface Press {
        void press(Duration timeout);
    }

    /** How {@link #stop} ended. */
    public enum Ending {
        /** Not running when asked (or the pid now belongs to another program). */
        ALREADY_GONE,
        /** The guest switched off after the press, within the grace period. */
        POWERED_DOWN,
        /** SIGKILL: the guest did not switch off in time, or the VMM could not be asked. */
        KILLED
    }

    /** @param detail why it ended this way, for the log */
    public record Stopped(Ending ending, Duration took, String detail) {
        /** Whether the guest ended by itself (or was already gone): nothing was killed. */
        public boolean clean() {
            return ending != Ending.KILLED;
        }
    }

    private GracefulStop() {
    }

    /**
     * @param stillOurs whether the pid still runs and is the VMM meant (its command line checked)
     * @param pressName what a press is, for messages ("the power button", "Ctrl-Alt-Del")
     * @param repress   how often to press again during the grace period
     * @param pressTimeout how long one press may take at most
     */
    public static Stopped stop(long pid, LongPredicate stillOurs, Press press, String pressName, Duration grace, Duration repress,
                               Duration pressTimeout) {
        long start = System.nanoTime();
        if (!stillOurs.test(pid)) {
            return new Stopped(Ending.ALREADY_GONE, since(start), "pid " + pid + " is not running (or is no longer this VM's VMM): left alone");
        }
        String why = null;
        int presses = 0;
        long deadline = start + grace.toNanos();
        long nextPress = start;
        while (why == null) {
            if (!stillOurs.test(pid)) {
                // Its command line goes before the process does: let an exiting VMM finish, so that what the
                // caller does next (its tap, its files) never races the VMM's last moments.
                long settled = System.nanoTime() + EXIT_SETTLE.toNanos();
                while (ProcessTable.exiting(pid) && System.nanoTime() < settled) {
                    ProcessTable.sleep(EXIT_POLL);
                }
                return new Stopped(Ending.POWERED_DOWN, since(start), "the guest powered off (" + presses + " x " + pressName + ")");
            }
            long now = System.nanoTime();
            if (now >= deadline) {
                why = "the guest did not power off within " + grace.toSeconds() + " s of " + pressName;
            } else if (now >= nextPress) {
                try {
                    press.press(Duration.ofNanos(Math.min(deadline - now, pressTimeout.toNanos())));
                    presses++;
                } catch (BangerException e) {
                    if (presses == 0 && stillOurs.test(pid)) {
                        why = pressName + " failed (" + e.getMessage() + ")";
                    }
                    // After a first press, a failing control socket usually means the VMM is on its way out: keep watching.
                }
                nextPress = System.nanoTime() + repress.toNanos();
            } else {
                ProcessTable.sleep(POLL);
            }
        }
        if (!ProcessTable.kill(pid)) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "pid " + pid + " survived SIGKILL for " + ProcessTable.KILL_WAIT.toSeconds()
                    + " s (stuck in the kernel?): look at /proc/" + pid + "/stack, then retry");
        }
        return new Stopped(Ending.KILLED, since(start), why + ": killed");
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
