package dev.banger.daemon.archfixture;

/** Violates the liveness rules on purpose (LivenessPolicyTest): decides liveness outside VmLiveness and the drivers. */
public final class ChecksPidsItself {
    private ChecksPidsItself() {
    }

    public static boolean qemuAlive(long pid) {
        return dev.banger.host.vm.QemuProcess.isQemuOf(pid, java.nio.file.Path.of("/x/api.sock"));
    }

    public static boolean anyPidAlive(long pid) {
        return dev.banger.host.proc.ProcessTable.isAlive(pid);
    }

    public static boolean firecrackerAlive(long pid) {
        return dev.banger.host.vm.FirecrackerProcess.isFirecrackerOf(pid, java.nio.file.Path.of("/x/api.sock"), "0123456789ab");
    }
}
