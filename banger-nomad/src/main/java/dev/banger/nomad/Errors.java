package dev.banger.nomad;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import io.grpc.Status;

/** banger's error kinds as gRPC statuses (what Nomad's driver client reads), and which are worth a retry. */
final class Errors {
    private Errors() {
    }

    static Status status(BangerException e) {
        Status s = switch (e.code()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case INVALID_ARGUMENT, INVALID_PARAMS, NAME_TAKEN -> Status.INVALID_ARGUMENT;
            case FAILED_PRECONDITION, UNSUPPORTED, MISSING_DEPENDENCY -> Status.FAILED_PRECONDITION;
            case DAEMON_UNAVAILABLE, AGENT_UNAVAILABLE -> Status.UNAVAILABLE;
            case TIMED_OUT -> Status.DEADLINE_EXCEEDED;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case CANCELLED -> Status.ABORTED;
            default -> Status.INTERNAL;
        };
        return s.withDescription(e.getMessage());
    }

    /**
     * Whether Nomad should try StartTask again (its RecoverableError): trouble that may pass (bangerd or the agent
     * away, no free address or disk, a boot that failed or timed out, an operation overtaken), not a job that is
     * wrong (a bad value, an image that does not exist, a VMM this host lacks).
     */
    static boolean retryable(ErrorCode code) {
        return switch (code) {
            case DAEMON_UNAVAILABLE, AGENT_UNAVAILABLE, RESOURCE_EXHAUSTED, TIMED_OUT, CANCELLED, BOOT_FAILED,
                 HOST_FAILURE -> true;
            default -> false;
        };
    }
}
