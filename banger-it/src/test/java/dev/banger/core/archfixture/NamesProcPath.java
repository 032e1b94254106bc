package dev.banger.core.archfixture;

/**
 * Arch fixture: core code with string constants that name kernel paths. Violates rule (e) with
 * "/proc/self/status", "/sys/class/net", "/dev/kvm" and the concatenation recipe "/proc/\u0001/status";
 * the error message only mentions a path and must not be flagged.
 */
public final class NamesProcPath {
    public static final String STATUS = "/proc/self/status";

    private NamesProcPath() {
    }

    public static String[] paths(long pid) {
        return new String[] {STATUS, "/sys/class/net", "/dev/kvm", "/proc/" + pid + "/status"};
    }

    public static IllegalStateException missing() {
        return new IllegalStateException("no Uid line in /proc/self/status");
    }
}
