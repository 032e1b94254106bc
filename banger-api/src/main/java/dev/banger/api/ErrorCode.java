package dev.banger.api;

/**
 * The closed set of failures banger reports. Each code fixes, in one place, the JSON-RPC error code the
 * daemon sends and the exit status the CLI returns for it.
 */
public enum ErrorCode {
    /** The request line was not JSON. */
    PARSE_ERROR(-32700, ExitStatus.FAILURE),
    /** JSON, but not a JSON-RPC 2.0 request (or over the size limit). */
    INVALID_REQUEST(-32600, ExitStatus.FAILURE),
    /** No such RPC method. */
    METHOD_NOT_FOUND(-32601, ExitStatus.FAILURE),
    /** Parameters of the wrong shape or type. */
    INVALID_PARAMS(-32602, ExitStatus.USAGE),
    /** A bug in banger: something that should not happen did. Host trouble has codes of its own. */
    INTERNAL(-32603, ExitStatus.BUG),
    /** A value broke a rule (name, size, count); the message names the rule. */
    INVALID_ARGUMENT(-32010, ExitStatus.USAGE),
    /** The named VM (or image) does not exist. */
    NOT_FOUND(-32011, ExitStatus.FAILURE),
    /** A unique name is already used. */
    NAME_TAKEN(-32012, ExitStatus.FAILURE),
    /** The object is in a state that forbids the operation (e.g. delete while running). */
    FAILED_PRECONDITION(-32013, ExitStatus.FAILURE),
    /** A pool ran out (addresses, connections). */
    RESOURCE_EXHAUSTED(-32014, ExitStatus.FAILURE),
    /** The daemon cannot be reached or started. */
    DAEMON_UNAVAILABLE(-32015, ExitStatus.FAILURE),
    /** The caller lacks the privilege the operation needs. */
    PERMISSION_DENIED(-32016, ExitStatus.FAILURE),
    /** A VM's guest agent did not answer (still starting, disabled in its image, or hung). */
    AGENT_UNAVAILABLE(-32017, ExitStatus.FAILURE),
    /** The VM's driver cannot do this (on this host); the message names the driver and why. */
    UNSUPPORTED(-32018, ExitStatus.ENVIRONMENT),
    /** A boot or an operation did not finish within its time (a VMM's socket, the guest's sshd). */
    TIMED_OUT(-32019, ExitStatus.TIMED_OUT),
    /** A program, device or kernel feature banger needs is missing on this host; the message says how to get it. */
    MISSING_DEPENDENCY(-32020, ExitStatus.ENVIRONMENT),
    /** The host failed an operation (an I/O error, a command that exited non-zero, a full disk's cousins): not a bug. */
    HOST_FAILURE(-32021, ExitStatus.FAILURE),
    /** The operation was cancelled: a stop or delete overtook a start, or its caller went away. */
    CANCELLED(-32022, ExitStatus.FAILURE),
    /** The VM's VMM or guest failed while booting (the VMM exited; its console tail is in the message). */
    BOOT_FAILED(-32023, ExitStatus.FAILURE);

    private final int rpcCode;
    private final int exitStatus;

    ErrorCode(int rpcCode, int exitStatus) {
        this.rpcCode = rpcCode;
        this.exitStatus = exitStatus;
    }

    public int rpcCode() {
        return rpcCode;
    }

    public int exitStatus() {
        return exitStatus;
    }

    /** The code for a JSON-RPC error code; unknown codes (e.g. from a newer daemon) read as INTERNAL. */
    public static ErrorCode fromRpcCode(int rpcCode) {
        for (ErrorCode c : values()) {
            if (c.rpcCode == rpcCode) {
                return c;
            }
        }
        return INTERNAL;
    }

    /**
     * The CLI's exit statuses: 0 success, 1 failure, 2 usage error, 3 timed out, 4 this host or driver
     * cannot do it (a missing program, an unsupported capability), 70 a bug in banger (EX_SOFTWARE).
     */
    public static final class ExitStatus {
        public static final int SUCCESS = 0;
        public static final int FAILURE = 1;
        public static final int USAGE = 2;
        public static final int TIMED_OUT = 3;
        public static final int ENVIRONMENT = 4;
        public static final int BUG = 70;

        private ExitStatus() {
        }
    }
}
