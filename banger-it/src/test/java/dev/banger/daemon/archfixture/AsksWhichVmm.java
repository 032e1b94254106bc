package dev.banger.daemon.archfixture;

import dev.banger.api.VmRecord;
import dev.banger.core.vm.VmmKind;

/** Violates the seam rule on purpose (VmmSeamPolicyTest): orchestration that branches on which VMM a VM has. */
public final class AsksWhichVmm {
    private AsksWhichVmm() {
    }

    public static boolean isFirecracker(VmRecord vm) {
        return VmmKind.parse(vm.spec().vmm()) == VmmKind.FIRECRACKER;
    }
}
