package dev.banger.api;

/**
 * The one exception family of banger. Its code maps to a JSON-RPC error and a CLI exit status; its
 * message says what was wrong and what to do about it.
 */
public class BangerException extends RuntimeException {
    private final ErrorCode code;

    public BangerException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public BangerException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static BangerException invalid(String message) {
        return new BangerException(ErrorCode.INVALID_ARGUMENT, message);
    }

    public static BangerException notFound(String message) {
        return new BangerException(ErrorCode.NOT_FOUND, message);
    }
}
