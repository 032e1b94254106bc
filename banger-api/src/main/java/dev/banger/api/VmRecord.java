package dev.banger.api;

import java.time.Instant;
import java.util.List;

/**
 * One row of the durable {@code vms} table with its mounts and published ports (rows of their own tables), and what
 * {@code vm.get}/{@code vm.list} return. {@code publishes} also lists the ports the daemon published by itself
 * ({@link PublishedPort#auto()}) where the daemon answers with them.
 */
public record VmRecord(String id, VmSpec spec, VmRuntime runtime, Instant createdAt, Instant updatedAt,
                       List<HostMount> mounts, List<PublishedPort> publishes) {
    public VmRecord {
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        publishes = publishes == null ? List.of() : List.copyOf(publishes);
    }

    /** A VM with no mounts and no published ports. */
    public VmRecord(String id, VmSpec spec, VmRuntime runtime, Instant createdAt, Instant updatedAt) {
        this(id, spec, runtime, createdAt, updatedAt, List.of(), List.of());
    }

    public String name() {
        return spec.name();
    }

    public VmState state() {
        return runtime.state();
    }

    public VmRecord withRuntime(VmRuntime next, Instant now) {
        return new VmRecord(id, spec, next, createdAt, now, mounts, publishes);
    }

    public VmRecord withMounts(List<HostMount> next) {
        return new VmRecord(id, spec, runtime, createdAt, updatedAt, next, publishes);
    }

    public VmRecord withPublishes(List<PublishedPort> next) {
        return new VmRecord(id, spec, runtime, createdAt, updatedAt, mounts, next);
    }
}
