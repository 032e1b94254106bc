package dev.banger.daemon.archfixture;

import dev.banger.host.vm.QemuProcess;

/** Violates the liveness rule on purpose (LivenessPolicyTest): decides liveness outside VmLiveness. */
public final class ChecksPidsItself {
    private ChecksPidsItself() {
    }

    public static boolean alive(long pid) {
        return QemuProcess.isAlive(pid);
    }

    public static boolean firecrackerAlive(long pid) {
        return dev.banger.host.vm.FirecrackerProcess.isFirecrackerOf(pid, java.nio.file.Path.of("/x/api.sock"), "0123456789ab");
    }
}
