package dev.banger.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A JSON-RPC 2.0 request. {@code id} is null for a notification; {@code params} may be absent.
 */
public record RpcRequest(String jsonrpc, JsonNode id, String method, JsonNode params) {
    public static final String VERSION = "2.0";

    /**
     * The line of a call of {@code rpc} with {@code params} (null for a method that takes none), written from a
     * JSON tree: a client that starts for every command would otherwise build this record's serializer each time.
     */
    public static <P> String line(long id, Rpc<P, ?> rpc, P params) {
        ObjectNode call = Json.MAPPER.createObjectNode().put("jsonrpc", VERSION).put("id", id).put("method", rpc.name());
        if (params != null) {
            call.set("params", Json.MAPPER.valueToTree(params));
        }
        return Json.line(call);
    }

    /** A call of {@code rpc} with {@code params} (null for a method that takes none). */
    public static <P> RpcRequest call(long id, Rpc<P, ?> rpc, P params) {
        return new RpcRequest(VERSION, Json.MAPPER.getNodeFactory().numberNode(id), rpc.name(),
                params == null ? null : Json.MAPPER.valueToTree(params));
    }
}
