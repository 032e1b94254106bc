package dev.banger.api;

import java.util.Locale;

/**
 * The durable lifecycle state of a VM: what banger intends and last committed, not an observation.
 * Which transitions are legal is decided in banger-core's {@code VmLifecycle}. On the wire the names are
 * lowercase ({@link #wireName()}), configured once in {@link Json}.
 */
public enum VmState {
    /** The record is being made; a crash here leaves something reconcile removes. */
    CREATING,
    /** Made and never booted, or stopped cleanly. */
    STOPPED,
    STARTING,
    RUNNING,
    STOPPING,
    /** Being torn down; a crash here is finished by the next delete or reconcile. */
    DELETING,
    /** A step failed; LastError says which and why. */
    ERROR;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static VmState fromWire(String value) {
        for (VmState s : values()) {
            if (s.wireName().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown VM state '" + value + "'");
    }
}
