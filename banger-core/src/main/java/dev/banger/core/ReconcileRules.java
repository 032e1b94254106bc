package dev.banger.core;

import dev.banger.api.VmState;

/**
 * What a starting daemon does with each recorded VM, given its durable state and whether its VMM is
 * running now. Pure: the daemon's Reconciler carries the actions out. Every state a crash can leave
 * ends in one that is whole and usable, or removable with {@code vm delete}.
 *
 * <p>Reconcile never destroys what could be a user's running work: a VMM is killed only to finish a stop
 * the user asked for, and a directory removed only to undo a create or finish a delete this database
 * recorded. Anything the database does not know is reported and left alone.
 */
public final class ReconcileRules {
    public enum Action {
        /** The VMM runs: the VM is (or becomes) running; its handles are seeded and it is watched. */
        KEEP_RUNNING,
        /** A stop was under way and the VMM still runs: finish the stop. */
        FINISH_STOP,
        /** The record says a VMM should run but none does: release what it held, become stopped, say why. */
        DEMOTE,
        /**
         * At rest, yet a VMM runs on its socket: the record is older than the host (a database put back
         * from a backup, say). The guest is someone's work: adopt it as running, never kill it.
         */
        ADOPT,
        /** At rest and nothing runs: only stale scratch handles to drop. */
        FORGET_HANDLES,
        /** A create that never completed (its caller got an error): remove the directory and the row. */
        UNDO_CREATE,
        /** A delete that never completed: finish it. */
        FINISH_DELETE
    }

    private ReconcileRules() {
    }

    public static Action decide(VmState state, boolean vmmRunning) {
        return switch (state) {
            case CREATING -> Action.UNDO_CREATE;
            case DELETING -> Action.FINISH_DELETE;
            case STARTING, RUNNING -> vmmRunning ? Action.KEEP_RUNNING : Action.DEMOTE;
            case STOPPING -> vmmRunning ? Action.FINISH_STOP : Action.DEMOTE;
            case STOPPED, ERROR -> vmmRunning ? Action.ADOPT : Action.FORGET_HANDLES;
        };
    }

    /** The LastError of a VM demoted at daemon start. */
    public static String demotedReason(VmState was, long lastPid) {
        return "found " + was.wireName() + " with no VMM when bangerd started" + (lastPid > 0 ? " (pid " + lastPid + " was gone)" : "")
                + ": the VMM exited or was killed while the daemon was down; 'banger vm start' boots it again";
    }
}
