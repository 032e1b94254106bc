package dev.banger.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The durable lifecycle state of a VM: what banger intends and last committed, not an observation.
 * Which transitions are legal is decided in banger-core's {@code VmLifecycle}.
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

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static VmState fromWire(String value) {
        for (VmState s : values()) {
            if (s.wireName().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown VM state '" + value + "'");
    }
}
