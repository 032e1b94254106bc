package dev.banger.daemon;

import dev.banger.api.VmRecord;
import dev.banger.daemon.vm.VmLiveness;
import dev.banger.daemon.vmm.Vmm;

/**
 * Violates the liveness rule on purpose (LivenessPolicyTest): a daemon class other than VmLiveness asks
 * the VMM driver whether a VM runs. A test class (never in the production import), in the daemon's
 * package only because Vmm is package-private.
 */
final class AsksTheVmmDirectly {
    private AsksTheVmmDirectly() {
    }

    static boolean alive(Vmm vmm, VmRecord vm) {
        return vmm.find(vm).isPresent();
    }
}
