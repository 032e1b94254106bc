package dev.banger.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A JSON-RPC 2.0 request. {@code id} is null for a notification; {@code params} may be absent.
 */
public record RpcRequest(String jsonrpc, JsonNode id, String method, JsonNode params) {
    public static final String VERSION = "2.0";

    public static RpcRequest call(long id, String method, Object params) {
        return new RpcRequest(VERSION, Json.MAPPER.getNodeFactory().numberNode(id), method,
                params == null ? null : Json.MAPPER.valueToTree(params));
    }
}
