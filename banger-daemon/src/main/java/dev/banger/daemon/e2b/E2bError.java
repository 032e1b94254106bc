package dev.banger.daemon.e2b;

/** An answer in E2B's error shape, {@code {"code": STATUS, "message": ...}}, with that HTTP status. */
final class E2bError extends RuntimeException {
    final int status;

    E2bError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static E2bError badRequest(String message) {
        return new E2bError(400, message);
    }

    static E2bError notFound(String message) {
        return new E2bError(404, message);
    }
}
