package dev.banger.daemon.vm;

import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Logger;

/**
 * Fault injection for tests: with {@code BANGER_TEST_CRASH_AT=POINT} in its environment the daemon
 * kills itself (as {@code kill -9} would: no shutdown hooks, nothing flushed but the log) when an
 * operation reaches POINT. Every point must be recoverable: after a restart the VM is whole and usable,
 * or cleanly removable with {@code vm delete}, and nothing is leaked. Unset (always, outside tests),
 * {@link #reach} costs one field read.
 */
final class CrashPoints {
    private static final Logger LOG = Logger.getLogger(CrashPoints.class.getName());
    static final String ENV = "BANGER_TEST_CRASH_AT";

    /** Every point, in the order an operation reaches them. */
    static final List<String> ALL = List.of(
            "create.after-insert", "create.after-dir",
            "start.after-starting", "start.after-disks", "start.after-config", "start.after-tap", "start.after-launch",
            "start.before-running",
            "stop.after-stopping", "stop.after-vmm", "stop.after-tap",
            "delete.after-deleting", "delete.after-teardown", "delete.after-dir");

    private static final String ARMED = armed(System.getenv(ENV));

    private CrashPoints() {
    }

    private static String armed(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (!ALL.contains(value)) {
            LOG.warning(ENV + "=" + dev.banger.core.Text.printable(value, 40) + " names no crash point (known: " + ALL + "): ignored");
            return null;
        }
        LOG.warning(ENV + "=" + value + ": this daemon will kill itself there (a test setting)");
        return value;
    }

    /** Kills the daemon on the spot when {@code point} is the armed one. */
    static void reach(String point) {
        if (point.equals(ARMED)) {
            LOG.severe("crash point " + point + " reached: halting (" + ENV + ")");
            for (Handler h : Logger.getLogger("").getHandlers()) {
                h.flush();
            }
            Runtime.getRuntime().halt(137);
        }
    }
}
