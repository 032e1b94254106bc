package dev.banger.daemon.vm;

import dev.banger.core.Text;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Logger;

/**
 * Fault injection for tests: with {@code BANGER_TEST_CRASH_AT=POINT} in its environment the daemon
 * kills itself (as {@code kill -9} would: no shutdown hooks, nothing flushed but the log) when an
 * operation reaches POINT. Every point must be recoverable: after a restart the VM is whole and usable,
 * or cleanly removable with {@code vm delete}, and nothing is leaked. An enum, so a point cannot be
 * mistyped where it is reached, and the tests can iterate over every one; the start's points follow its
 * steps ({@link StartStep}). Unset (always, outside tests), {@link #reach} costs one field read.
 */
public enum CrashPoint {
    CREATE_AFTER_INSERT, CREATE_AFTER_DIR,
    START_AFTER_STARTING, START_AFTER_IMAGE, START_AFTER_DISKS, START_AFTER_CONFIG, START_AFTER_NETWORK, START_AFTER_MOUNTS, START_AFTER_BOOT,
    START_AFTER_GUEST,
    STOP_AFTER_STOPPING, STOP_AFTER_VMM, STOP_AFTER_TAP,
    DELETE_AFTER_DELETING, DELETE_AFTER_TEARDOWN, DELETE_AFTER_DIR,
    /** Taking a snapshot (vm snapshot, and the capture inside fork and image warm): the row, the saved state (guest paused), the resume. */
    SNAPSHOT_AFTER_INSERT, SNAPSHOT_AFTER_SAVE, SNAPSHOT_AFTER_RESUME,
    /** vm fork: its snapshot taken, its children created (not yet resumed), the first child resumed. */
    FORK_AFTER_SNAPSHOT, FORK_AFTER_CHILDREN, FORK_AFTER_FIRST_CHILD,
    /** image warm: the template's row, its VM booted, its snapshot taken (its VM not yet deleted). */
    TEMPLATE_AFTER_INSERT, TEMPLATE_AFTER_BOOT, TEMPLATE_AFTER_SNAPSHOT;

    private static final Logger LOG = Logger.getLogger(CrashPoint.class.getName());
    public static final String ENV = "BANGER_TEST_CRASH_AT";
    private static final CrashPoint ARMED = armed(System.getenv(ENV));

    /** As the environment names it: {@code start.after-disks}. */
    public String wireName() {
        String n = name().toLowerCase(Locale.ROOT);
        int cut = n.indexOf('_');
        return n.substring(0, cut) + "." + n.substring(cut + 1).replace('_', '-');
    }

    /** Which operation it belongs to: create, start, stop, delete, snapshot, fork or template. */
    public String operation() {
        return wireName().substring(0, wireName().indexOf('.'));
    }

    public static Optional<CrashPoint> parse(String wireName) {
        return Arrays.stream(values()).filter(p -> p.wireName().equals(wireName)).findFirst();
    }

    /** The point reached after start step {@code step} is done. */
    static CrashPoint after(StartStep step) {
        return valueOf("START_AFTER_" + step.name());
    }

    private static CrashPoint armed(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Optional<CrashPoint> p = parse(value);
        if (p.isEmpty()) {
            LOG.warning(ENV + "=" + Text.printable(value, 40) + " names no crash point (known: "
                    + Arrays.stream(values()).map(CrashPoint::wireName).toList() + "): ignored");
            return null;
        }
        LOG.warning(ENV + "=" + value + ": this daemon will kill itself there (a test setting)");
        return p.get();
    }

    /** Kills the daemon on the spot when this is the armed point. */
    public void reach() {
        if (this == ARMED) {
            LOG.severe("crash point " + wireName() + " reached: halting (" + ENV + ")");
            for (Handler h : Logger.getLogger("").getHandlers()) {
                h.flush();
            }
            Runtime.getRuntime().halt(137);
        }
    }
}
