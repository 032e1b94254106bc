package dev.banger.core.task;

import dev.banger.api.BangerException;
import dev.banger.core.Text;
import java.util.regex.Pattern;

/**
 * What a VM's task may be and how its end is decided (the daemon's task room acts on these): its name and the
 * agent tag that carries it, the bounds of a wait and of an output position, and which exit statuses are a
 * guest's to report. The guest is untrusted: a status outside 0-255 is not an exit, whoever sends it.
 */
public final class TaskRules {
    /** The task a request names when it names none: the Nomad driver's one task per VM. */
    public static final String DEFAULT_NAME = "main";
    /** The agent's tag for a task: the agent refuses a second running entry with one tag, which backs up bangerd's own check. */
    public static final String TAG_PREFIX = "banger.task/";
    public static final long DEFAULT_WAIT_MILLIS = 60_000;
    public static final long MAX_WAIT_MILLIS = 600_000;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    /** A task's state as bangerd records it. */
    public enum State {
        /** Started and not known to have ended. */
        RUNNING,
        /** Ended with a known exit status. */
        EXITED,
        /** Ended, or may have, with no exit status known: the VM stopped, the agent restarted or forgot it. */
        LOST;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static State of(String wire) {
            return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
        }
    }

    private TaskRules() {
    }

    /** {@code name} as given, or the default; 1-63 of {@code a-z 0-9 _ . -}, starting with a letter or digit. */
    public static String name(String name) {
        if (name == null || name.isEmpty()) {
            return DEFAULT_NAME;
        }
        if (!NAME.matcher(name).matches()) {
            throw BangerException.invalid("task name '" + Text.printable(name, 70) + "' is not valid: 1 to 63 of a-z, 0-9, '_', '.', '-', "
                    + "starting with a letter or digit (default: " + DEFAULT_NAME + ")");
        }
        return name;
    }

    public static String tag(String name) {
        return TAG_PREFIX + name;
    }

    /** How long a wait may block: {@code millis} or 60 s; 0 answers at once. */
    public static long waitMillis(Long millis) {
        long ms = millis == null ? DEFAULT_WAIT_MILLIS : millis;
        if (ms < 0 || ms > MAX_WAIT_MILLIS) {
            throw BangerException.invalid("timeout_ms must be from 0 to " + MAX_WAIT_MILLIS + " (wait again for longer)");
        }
        return ms;
    }

    /** A byte position in a task's output: 0 (the default) or more. */
    public static long offset(Long offset, String field) {
        long at = offset == null ? 0 : offset;
        if (at < 0) {
            throw BangerException.invalid(field + " must be 0 or more (a byte position in the task's output)");
        }
        return at;
    }

    /** Whether {@code status}, as a guest reports it, is an exit status (0-255; a signal's death is 128+N). */
    public static boolean validExit(long status) {
        return status >= 0 && status <= 255;
    }

    /** What bangerd learnt of a task's process from the agent's table, as {@link #observe} decides it. */
    public sealed interface Observation {
        /** The process runs: follow it. */
        record Running(String id, long pid) implements Observation {
        }

        /** The process ended with {@code status}; {@code signal} ended it (then status is 128 + signal), or 0. */
        record Exited(int status, int signal) implements Observation {
        }

        /** Nothing the agent holds is this task: its end can no longer be learnt. */
        record Gone(String reason) implements Observation {
        }
    }

    /**
     * The task's fate from one entry of the agent's table: {@code found} whether the agent lists it (by its id, or by
     * its tag when bangerd never learnt the id), {@code running} its state, {@code status} its exit status, {@code signal}
     * the signal that ended it (0: none; the caller has bounded it already).
     */
    public static Observation observe(boolean found, String id, long pid, boolean running, Integer status, int signal) {
        if (!found) {
            return new Observation.Gone("the VM's guest agent no longer holds the task (its agent restarted, or it forgot the exit "
                    + "before bangerd could collect it)");
        }
        if (running) {
            return new Observation.Running(id, pid);
        }
        if (status == null || !validExit(status)) {
            return new Observation.Gone("the VM's guest agent reported an exit status that is not one (" + status + ")");
        }
        return new Observation.Exited(status, signal);
    }
}
