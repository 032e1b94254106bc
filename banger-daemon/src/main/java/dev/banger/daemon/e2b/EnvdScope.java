package dev.banger.daemon.e2b;

import dev.banger.api.VmRecord;
import dev.banger.core.e2b.EnvdRules;
import java.util.Map;

/** Who and where an authorized envd call acts: the sandbox's running VM, the guest user, the sandbox's env vars. */
record EnvdScope(VmRecord vm, String user, Map<String, String> sandboxEnv) {
    /** {@code path} as envd reads it for this call's user ({@link EnvdRules#resolve}). */
    String path(String path) {
        return path(path, user);
    }

    /** {@code path} as envd reads it for {@code user}; a path the rules refuse is {@code invalid_argument}. */
    static String path(String path, String user) {
        try {
            return EnvdRules.resolve(path, user);
        } catch (IllegalArgumentException e) {
            throw EnvdError.invalid("path: " + e.getMessage());
        }
    }
}
