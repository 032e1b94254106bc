package dev.banger.daemon.vm;

import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.VmLifecycle;
import dev.banger.store.VmStore;
import java.time.Clock;

/**
 * The one way a VM's durable state changes: allowed by {@link VmLifecycle}, stamped, stored, and then
 * mirrored into the VM directory's vm.json ({@link VmDescriptors}).
 */
public final class VmTransitions {
    private final VmStore store;
    private final Clock clock;
    private final VmDescriptors descriptors;
    private final java.util.List<java.util.function.Consumer<VmRecord>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public VmTransitions(VmStore store, Clock clock, VmDescriptors descriptors) {
        this.store = store;
        this.clock = clock;
        this.descriptors = descriptors;
    }

    /** {@code vm} moved to {@code next} with LastError {@code error} (null clears it); the stored record. */
    VmRecord move(VmRecord vm, VmState next, String error) {
        VmLifecycle.check(vm.name(), vm.state(), next);
        VmRecord updated = vm.withRuntime(vm.runtime().withState(next, error), clock.instant());
        store.updateRuntime(vm.id(), updated.runtime(), updated.updatedAt());
        descriptors.update(updated);
        for (java.util.function.Consumer<VmRecord> listener : listeners) {
            listener.accept(updated);
        }
        return updated;
    }

    /**
     * Adds what runs after each move, with the stored record (wiring: published ports follow RUNNING). A listener must not
     * throw and must not take a VM's lock: it runs under the moving VM's.
     */
    public void afterMove(java.util.function.Consumer<VmRecord> listener) {
        listeners.add(listener);
    }

    VmDescriptors descriptors() {
        return descriptors;
    }
}
