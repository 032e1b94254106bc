package dev.banger.daemon.e2b;

import dev.banger.api.VmRecord;
import java.util.Map;

/** Who and where an authorized envd call acts: the sandbox's running VM, the guest user, the sandbox's env vars. */
record EnvdScope(VmRecord vm, String user, Map<String, String> sandboxEnv) {
}
