package dev.banger.api;

import com.fasterxml.jackson.databind.JsonNode;

/** A JSON-RPC 2.0 response: exactly one of {@code result} and {@code error} is set. */
public record RpcResponse(String jsonrpc, JsonNode id, JsonNode result, RpcError error) {
    public static RpcResponse success(JsonNode id, Object result) {
        return new RpcResponse(RpcRequest.VERSION, id, Json.MAPPER.valueToTree(result), null);
    }

    /**
     * The response line for a successful call, serialised straight from the result object: building a
     * JSON tree first would double the work for large results such as vm.list.
     */
    public static String successLine(JsonNode id, Object result) {
        return Json.line(new Success(RpcRequest.VERSION, id, result));
    }

    private record Success(String jsonrpc, JsonNode id, Object result) {
    }

    public static RpcResponse failure(JsonNode id, RpcError error) {
        return new RpcResponse(RpcRequest.VERSION, id, null, error);
    }
}
