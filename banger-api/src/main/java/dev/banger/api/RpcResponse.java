package dev.banger.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/** A JSON-RPC 2.0 response: exactly one of {@code result} and {@code error} is set. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RpcResponse(String jsonrpc, JsonNode id, JsonNode result, RpcError error) {
    public static RpcResponse success(JsonNode id, Object result) {
        return new RpcResponse(RpcRequest.VERSION, id, Json.MAPPER.valueToTree(result), null);
    }

    public static RpcResponse failure(JsonNode id, RpcError error) {
        return new RpcResponse(RpcRequest.VERSION, id, null, error);
    }
}
