package dev.banger.daemon.vmm;

import dev.banger.api.VmRecord;
import dev.banger.core.vm.FirecrackerBoot;
import dev.banger.core.vm.JailerPlan;
import dev.banger.core.vm.KernelArgs;
import dev.banger.host.vm.JailerLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The API requests a starting Firecracker is sent (for {@link FirecrackerVmm}): a boot ({@link FirecrackerBoot}, then
 * InstanceStart) or, given a snapshot's directory, a restore ({@link FirecrackerBoot.Restore}); with the paths as
 * Firecracker sees them, the jail's names when it is jailed.
 */
final class FirecrackerCalls {
    private FirecrackerCalls() {
    }

    /** An unjailed Firecracker's requests: host paths. */
    static List<FirecrackerBoot.Call> plain(VmRecord vm, Vmm.BootPlan plan, KernelArgs.Verbosity kernelLog, List<FirecrackerBoot.Drive> drives,
                                            Path logFile, Path metrics, Path vsock, Optional<Path> snapshot) {
        if (snapshot.isPresent()) {
            return restore(snapshot.get().resolve(FirecrackerSnapshot.STATE_FILE), snapshot.get().resolve(FirecrackerSnapshot.MEMORY_FILE),
                    drives, plan, logFile, metrics, vsock);
        }
        return boot(vm, kernelLog, plan.kernel(), Optional.ofNullable(plan.initrd()), drives, plan, logFile, metrics, vsock);
    }

    /**
     * Makes the VM's jail afresh (the jailer's own device nodes from the last boot are in the way) and returns the
     * requests, with the jail's names. A restore also links the snapshot's state and memory in; its drives take the
     * names the snapshotted VM's had in its own jail, so the load opens this VM's.
     */
    static List<FirecrackerBoot.Call> jailed(VmRecord vm, Vmm.BootPlan plan, KernelArgs.Verbosity kernelLog, JailerPlan jail,
                                             List<FirecrackerBoot.Drive> drives, Path logFile, Path metrics, Optional<Path> snapshot) {
        JailerLayout.cleanup(jail);
        List<JailerPlan.Drive> jailDrives = drives.stream().map(d -> new JailerPlan.Drive(d.id(), d.file(), d.readOnly(),
                JailerLayout.isBlockDevice(d.file()))).toList();
        List<JailerPlan.Placement> placements = new ArrayList<>(jail.placements(new JailerPlan.VmFiles(plan.kernel(),
                Optional.ofNullable(plan.initrd()), jailDrives, Optional.of(logFile), Optional.of(metrics))));
        snapshot.ifPresent(dir -> placements.addAll(jail.snapshotPlacements(dir.resolve(FirecrackerSnapshot.STATE_FILE),
                dir.resolve(FirecrackerSnapshot.MEMORY_FILE), false)));
        JailerLayout.prepare(jail, placements);
        List<FirecrackerBoot.Drive> inside = drives.stream().map(d -> new FirecrackerBoot.Drive(d.id(),
                inside(JailerPlan.DRIVE_PREFIX + d.id()), d.root(), d.readOnly())).toList();
        Path log = inside(JailerPlan.LOG_NAME);
        Path metricsInside = inside(JailerPlan.METRICS_NAME);
        if (snapshot.isPresent()) {
            return restore(inside(JailerPlan.SNAPSHOT_STATE_NAME), inside(JailerPlan.SNAPSHOT_MEMORY_NAME), inside, plan, log,
                    metricsInside, Path.of(jail.vsockInside()));
        }
        return boot(vm, kernelLog, inside(JailerPlan.KERNEL_NAME), Optional.ofNullable(plan.initrd()).map(i -> inside(JailerPlan.INITRD_NAME)),
                inside, plan, log, metricsInside, Path.of(jail.vsockInside()));
    }

    private static Path inside(String name) {
        return Path.of(JailerPlan.insidePath(name));
    }

    private static List<FirecrackerBoot.Call> restore(Path vmstate, Path memory, List<FirecrackerBoot.Drive> drives, Vmm.BootPlan plan,
                                                      Path logFile, Path metrics, Path vsock) {
        return new FirecrackerBoot.Restore(logFile, metrics, vmstate, memory, drives, Optional.of(plan.tap()), Optional.of(vsock)).calls();
    }

    private static List<FirecrackerBoot.Call> boot(VmRecord vm, KernelArgs.Verbosity kernelLog, Path kernel, Optional<Path> initrd,
                                                   List<FirecrackerBoot.Drive> drives, Vmm.BootPlan plan, Path logFile, Path metrics,
                                                   Path vsock) {
        FirecrackerBoot boot = new FirecrackerBoot(logFile, metrics, vm.spec().vcpus(), vm.spec().memoryMib(), kernel, initrd,
                KernelArgs.defaults().withVerbosity(kernelLog).firecrackerLine(), drives,
                Optional.of(new FirecrackerBoot.Nic(plan.tap(), plan.mac())), OptionalLong.of(vm.runtime().vsockCid()),
                Optional.of(vsock));
        List<FirecrackerBoot.Call> calls = new ArrayList<>(boot.calls());
        calls.add(FirecrackerBoot.instanceStart());
        return calls;
    }
}
