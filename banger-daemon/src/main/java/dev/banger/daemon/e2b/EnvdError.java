package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;

/**
 * A failed envd call, with its Connect code ({@code not_found}, {@code permission_denied}...): a Connect RPC answers it
 * as its error (an HTTP status for a unary call, the end-of-stream message for a stream), the {@code /files} routes as
 * E2B's {@code {code, message}} with the matching HTTP status.
 */
final class EnvdError extends RuntimeException {
    final String code;

    EnvdError(String code, String message) {
        super(message);
        this.code = code;
    }

    static EnvdError invalid(String message) {
        return new EnvdError("invalid_argument", message);
    }

    /** The envd error a banger error stands for. */
    static EnvdError of(BangerException e) {
        String code = switch (e.code()) {
            case NOT_FOUND -> "not_found";
            case NAME_TAKEN -> "already_exists";
            case PERMISSION_DENIED -> "permission_denied";
            case INVALID_ARGUMENT, INVALID_PARAMS -> "invalid_argument";
            case FAILED_PRECONDITION -> "failed_precondition";
            case RESOURCE_EXHAUSTED -> "resource_exhausted";
            case UNSUPPORTED -> "unimplemented";
            case TIMED_OUT -> "deadline_exceeded";
            case AGENT_UNAVAILABLE, DAEMON_UNAVAILABLE -> "unavailable";
            case CANCELLED -> "canceled";
            default -> "internal";
        };
        return new EnvdError(code, e.getMessage());
    }

    /** The HTTP status of a code (the Connect protocol's table). */
    int httpStatus() {
        return switch (code) {
            case "canceled" -> 499;
            case "invalid_argument", "failed_precondition", "out_of_range" -> 400;
            case "deadline_exceeded" -> 504;
            case "not_found" -> 404;
            case "already_exists", "aborted" -> 409;
            case "permission_denied" -> 403;
            case "resource_exhausted" -> 429;
            case "unimplemented" -> 501;
            case "unavailable" -> 503;
            case "unauthenticated" -> 401;
            default -> 500;
        };
    }
}
