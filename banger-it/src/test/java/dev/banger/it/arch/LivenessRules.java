package dev.banger.it.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;

/**
 * "Is this VM's VMM running?" has one answer, {@code dev.banger.daemon.vm.VmLiveness}: no other class looks
 * at pids or scans for VMM processes. ({@link ShellOutRules} already keeps ProcessHandle itself in
 * dev.banger.host.) Checked over production classes by {@link LivenessPolicyTest}, proven able to fail
 * on a fixture there.
 */
final class LivenessRules {
    static final String LIVENESS = "dev.banger.daemon.vm.VmLiveness";
    static final String VMM = "dev.banger.daemon.vmm.Vmm";
    static final String QEMU_VMM = "dev.banger.daemon.vmm.QemuVmm";
    static final String QEMU_PROCESS = "dev.banger.host.vm.QemuProcess";
    static final String FIRECRACKER_VMM = "dev.banger.daemon.vmm.FirecrackerVmm";
    static final String FIRECRACKER_PROCESS = "dev.banger.host.vm.FirecrackerProcess";
    private static final Set<String> FIRECRACKER_LIVENESS = Set.of("isFirecrackerOf", "findByApiSocket", "findUnder");
    private static final Set<String> VMM_LIVENESS = Set.of("find", "isRunning", "findAll");
    private static final Set<String> PROCESS_LIVENESS = Set.of("isQemuOf", "findByQmpSocket", "findUnder");
    static final String PROCESS_TABLE = "dev.banger.host.proc.ProcessTable";
    private static final Set<String> TABLE_LIVENESS = Set.of("isAlive", "scan", "cmdline", "onExit");

    private LivenessRules() {
    }

    /** Only VmLiveness asks a VMM driver whether, and as which pid, a VM's VMM runs. */
    static final ArchRule ONLY_LIVENESS_ASKS_THE_VMM = noClasses()
            .that().doNotHaveFullyQualifiedName(LIVENESS)
            .should().callMethodWhere(calls(VMM, VMM_LIVENESS, true))
            .as("only " + LIVENESS + " may call Vmm.find, isRunning or findAll");

    /** Outside the host layer, only the QEMU driver calls QemuProcess's liveness checks (and only for VmLiveness). */
    static final ArchRule ONLY_THE_DRIVER_CHECKS_QEMU_PROCESSES = noClasses()
            .that().resideOutsideOfPackage(ShellOutRules.HOST).and().doNotHaveFullyQualifiedName(QEMU_VMM)
            .should().callMethodWhere(calls(QEMU_PROCESS, PROCESS_LIVENESS, false))
            .as("outside " + ShellOutRules.HOST + ", only " + QEMU_VMM + " may call QemuProcess's liveness checks " + PROCESS_LIVENESS);

    /** Likewise for Firecracker: outside the host layer only its driver looks for Firecracker processes. */
    static final ArchRule ONLY_THE_DRIVER_CHECKS_FIRECRACKER_PROCESSES = noClasses()
            .that().resideOutsideOfPackage(ShellOutRules.HOST).and().doNotHaveFullyQualifiedName(FIRECRACKER_VMM)
            .should().callMethodWhere(calls(FIRECRACKER_PROCESS, FIRECRACKER_LIVENESS, false))
            .as("outside " + ShellOutRules.HOST + ", only " + FIRECRACKER_VMM + " may call FirecrackerProcess's liveness checks "
                    + FIRECRACKER_LIVENESS);

    /** The process table itself: outside the host layer, only the VMM drivers look into it. */
    static final ArchRule ONLY_THE_DRIVERS_READ_THE_PROCESS_TABLE = noClasses()
            .that().resideOutsideOfPackage(ShellOutRules.HOST).and().doNotHaveFullyQualifiedName(QEMU_VMM)
            .and().doNotHaveFullyQualifiedName(FIRECRACKER_VMM)
            .should().callMethodWhere(calls(PROCESS_TABLE, TABLE_LIVENESS, false))
            .as("outside " + ShellOutRules.HOST + ", only the VMM drivers may call ProcessTable's " + TABLE_LIVENESS);

    private static DescribedPredicate<JavaCall<?>> calls(String owner, Set<String> methods, boolean orSubtypes) {
        return DescribedPredicate.describe("a call of " + owner + " " + methods, call -> methods.contains(call.getTarget().getName())
                && (orSubtypes ? call.getTargetOwner().isAssignableTo(owner) : call.getTargetOwner().getName().equals(owner)));
    }
}
