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
    /** A bug or an unexpected host failure; the message says what failed. */
    INTERNAL(-32603, ExitStatus.FAILURE),
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
    AGENT_UNAVAILABLE(-32017, ExitStatus.FAILURE);

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

    /** The CLI's exit statuses: 0 success, 1 failure, 2 usage error. */
    public static final class ExitStatus {
        public static final int SUCCESS = 0;
        public static final int FAILURE = 1;
        public static final int USAGE = 2;

        private ExitStatus() {
        }
    }
}
