package dev.banger.core;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmState;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The VM state machine: which durable state may follow which. Every state change goes through here. */
public final class VmLifecycle {
    private static final Map<VmState, Set<VmState>> NEXT = Map.of(
            VmState.CREATING, EnumSet.of(VmState.STOPPED, VmState.ERROR, VmState.DELETING),
            VmState.STOPPED, EnumSet.of(VmState.STARTING, VmState.DELETING),
            VmState.STARTING, EnumSet.of(VmState.RUNNING, VmState.ERROR, VmState.STOPPED, VmState.STOPPING, VmState.DELETING),
            VmState.RUNNING, EnumSet.of(VmState.STOPPING, VmState.STOPPED, VmState.ERROR, VmState.DELETING),
            VmState.STOPPING, EnumSet.of(VmState.STOPPED, VmState.ERROR, VmState.DELETING),
            VmState.ERROR, EnumSet.of(VmState.STARTING, VmState.STOPPED, VmState.DELETING),
            VmState.DELETING, EnumSet.of(VmState.DELETING));

    private VmLifecycle() {
    }

    public static boolean allowed(VmState from, VmState to) {
        return NEXT.get(from).contains(to);
    }

    public static void check(String vmName, VmState from, VmState to) {
        if (!allowed(from, to)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION,
                    "VM '" + vmName + "' is " + from.wireName() + " and cannot become " + to.wireName());
        }
    }

    /**
     * Whether a delete without --force may proceed: a VM that may hold a running VMM needs --force,
     * anything at rest may simply go.
     */
    public static boolean deletableWithoutForce(VmState state) {
        return switch (state) {
            case CREATING, STOPPED, ERROR, DELETING -> true;
            case STARTING, RUNNING, STOPPING -> false;
        };
    }
}
