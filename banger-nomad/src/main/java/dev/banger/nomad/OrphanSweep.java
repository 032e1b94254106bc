package dev.banger.nomad;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Deletes the VMs a StartTask left half-made when the plugin died under it (kill -9 between vm.create and
 * vm.task_start): Nomad never got their handle, so it will never destroy them. Such a VM is one of the driver's
 * (its name has {@link TaskNames}' exact shape, {@code nomad-TASK-HASH}) that has no task at all, is older than {@link #GRACE}, and is not being started by this
 * process. A VM whose task started is Nomad's to destroy, whatever its state, and is never touched.
 */
final class OrphanSweep {
    /** Longer than any StartTask takes (a cold boot under TCG is minutes at worst). */
    static final Duration GRACE = Duration.ofMinutes(15);

    private OrphanSweep() {
    }

    /** Whether {@code vm}, which has no task in bangerd, is a StartTask's leftover. */
    static boolean orphan(VmRecord vm, Instant now, Set<String> starting) {
        return TaskNames.isTaskVm(vm.spec().name())
                && !starting.contains(vm.spec().name())
                && vm.createdAt() != null
                && vm.createdAt().plus(GRACE).isBefore(now);
    }

    /** One pass over bangerd's VMs; each leftover deleted and logged. Errors end the pass quietly (the next one retries). */
    static void sweep(Bangerd b, Set<String> starting) {
        try {
            Instant now = Instant.now();
            for (VmRecord vm : b.call(Rpcs.VM_LIST, null).vms()) {
                if (!orphan(vm, now, starting) || hasTask(b, vm)) {
                    continue;
                }
                b.call(Rpcs.VM_DELETE, new Params.VmDelete(vm.id(), true));
                PluginLog.warn("deleted VM " + vm.spec().name() + " (" + vm.id() + "): a task start left it without a "
                        + "task (the plugin stopped during StartTask), and Nomad has no handle to destroy it by");
            }
        } catch (BangerException e) {
            // bangerd away: the fingerprint says so; the next pass tries again
        }
    }

    private static boolean hasTask(Bangerd b, VmRecord vm) {
        try {
            b.call(Rpcs.VM_TASK_STATUS, new Params.VmTaskRef(vm.id(), DriverState.TASK));
            return true;
        } catch (BangerException e) {
            if (e.code() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }
}
