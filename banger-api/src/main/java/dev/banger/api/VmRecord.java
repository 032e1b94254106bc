package dev.banger.api;

import java.time.Instant;

/** One row of the durable {@code vms} table, and what {@code vm.get}/{@code vm.list} return. */
public record VmRecord(String id, VmSpec spec, VmRuntime runtime, Instant createdAt, Instant updatedAt) {
    public String name() {
        return spec.name();
    }

    public VmState state() {
        return runtime.state();
    }

    public VmRecord withRuntime(VmRuntime next, Instant now) {
        return new VmRecord(id, spec, next, createdAt, now);
    }
}
