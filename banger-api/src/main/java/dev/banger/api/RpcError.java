package dev.banger.api;


/**
 * A JSON-RPC 2.0 error object. {@code data.kind} carries banger's symbolic {@link ErrorCode} name so
 * clients need not know the numbers.
 */
public record RpcError(int code, String message, Data data) {
    public record Data(String kind) {
    }

    public static RpcError of(ErrorCode code, String message) {
        return new RpcError(code.rpcCode(), message, new Data(code.name()));
    }

    public BangerException toException() {
        ErrorCode parsed = ErrorCode.INTERNAL;
        if (data != null && data.kind() != null) {
            try {
                parsed = ErrorCode.valueOf(data.kind());
            } catch (IllegalArgumentException unknownKind) {
                parsed = ErrorCode.fromRpcCode(code);
            }
        } else {
            parsed = ErrorCode.fromRpcCode(code);
        }
        return new BangerException(parsed, message);
    }
}
