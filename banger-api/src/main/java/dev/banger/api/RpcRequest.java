package dev.banger.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A JSON-RPC 2.0 request. {@code id} is null for a notification; {@code params} may be absent. The CLI writes its
 * request lines with {@link ClientJson#request}.
 */
public record RpcRequest(String jsonrpc, JsonNode id, String method, JsonNode params) {
    public static final String VERSION = "2.0";

    /** A call of {@code rpc} with {@code params} (null for a method that takes none). */
    public static <P> RpcRequest call(long id, Rpc<P, ?> rpc, P params) {
        return new RpcRequest(VERSION, Json.MAPPER.getNodeFactory().numberNode(id), rpc.name(),
                params == null ? null : Json.MAPPER.valueToTree(params));
    }
}
