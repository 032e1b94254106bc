package dev.banger.daemon.archfixture;

import dev.banger.host.vm.QemuProcess;

/** Violates the liveness rule on purpose (LivenessPolicyTest): decides liveness outside VmLiveness. */
public final class ChecksPidsItself {
    private ChecksPidsItself() {
    }

    public static boolean alive(long pid) {
        return QemuProcess.isAlive(pid);
    }
}
