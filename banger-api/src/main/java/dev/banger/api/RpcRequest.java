package dev.banger.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.StringWriter;

/**
 * A JSON-RPC 2.0 request. {@code id} is null for a notification; {@code params} may be absent.
 */
public record RpcRequest(String jsonrpc, JsonNode id, String method, JsonNode params) {
    public static final String VERSION = "2.0";

    /**
     * The line of a call of {@code rpc} with {@code params} (null for a method that takes none). The envelope is
     * written with Jackson's generator and the params through the mapper: neither this record's serializer nor a
     * JSON tree is built, which a client that starts for every command would pay for each time.
     */
    public static <P> String line(long id, Rpc<P, ?> rpc, P params) {
        StringWriter line = new StringWriter();
        try (JsonGenerator out = Json.MAPPER.createGenerator(line)) {
            out.writeStartObject();
            out.writeStringField("jsonrpc", VERSION);
            out.writeNumberField("id", id);
            out.writeStringField("method", rpc.name());
            if (params != null) {
                out.writeFieldName("params");
                Json.MAPPER.writeValue(out, params);
            }
            out.writeEndObject();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot encode a call of " + rpc.name() + ": " + e.getMessage(), e);
        }
        return line.toString();
    }

    /** A call of {@code rpc} with {@code params} (null for a method that takes none). */
    public static <P> RpcRequest call(long id, Rpc<P, ?> rpc, P params) {
        return new RpcRequest(VERSION, Json.MAPPER.getNodeFactory().numberNode(id), rpc.name(),
                params == null ? null : Json.MAPPER.valueToTree(params));
    }
}
