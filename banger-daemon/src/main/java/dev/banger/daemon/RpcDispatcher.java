package dev.banger.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.RpcError;
import dev.banger.api.RpcResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns one request line into one response (or none, for a notification). Never throws: every failure,
 * from malformed JSON to a bug in a handler, becomes a JSON-RPC error and the daemon keeps serving.
 */
final class RpcDispatcher {
    private static final Logger LOG = Logger.getLogger(RpcDispatcher.class.getName());

    /** A method: its parameter record type and what it does with the decoded parameters. */
    record Method<P>(Class<P> paramsType, java.util.function.BiFunction<P, Call, Object> handler) {
        Object invoke(JsonNode params, Call call) throws JsonProcessingException {
            P decoded;
            if (paramsType == Void.class) {
                if (params != null && !params.isNull() && !(params.isObject() && params.isEmpty())) {
                    throw BangerException.invalid("this method takes no parameters");
                }
                decoded = null;
            } else {
                JsonNode p = params == null || params.isNull() ? Json.MAPPER.createObjectNode() : params;
                if (!p.isObject()) {
                    throw new BangerException(ErrorCode.INVALID_PARAMS, "params must be a JSON object with named fields");
                }
                decoded = Json.MAPPER.treeToValue(p, paramsType);
            }
            return handler.apply(decoded, call);
        }
    }

    private final Map<String, Method<?>> methods = new TreeMap<>();

    <P> RpcDispatcher register(String name, Class<P> paramsType, Function<P, Object> handler) {
        methods.put(name, new Method<>(paramsType, (p, call) -> handler.apply(p)));
        return this;
    }

    /** A long-running method: it gets the {@link Call} to report progress and notice a caller that left. */
    <P> RpcDispatcher registerLong(String name, Class<P> paramsType, java.util.function.BiFunction<P, Call, Object> handler) {
        methods.put(name, new Method<>(paramsType, handler));
        return this;
    }

    String dispatch(String line) {
        return dispatch(line, Call.NONE);
    }

    /** @return the response line to send, or null for a notification (a request without an id) */
    String dispatch(String line, Call call) {
        JsonNode request;
        try {
            request = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            return Json.line(RpcResponse.failure(NullNode.getInstance(), RpcError.of(ErrorCode.PARSE_ERROR,
                    "invalid JSON: " + e.getOriginalMessage() + " (send one JSON-RPC 2.0 object per line)")));
        }
        if (request == null || !request.isObject()) {
            return invalidRequest(NullNode.getInstance(), "a request must be a JSON object");
        }
        JsonNode id = request.get("id");
        boolean notification = id == null;
        JsonNode replyId = notification ? NullNode.getInstance() : id;
        if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
            return invalidRequest(NullNode.getInstance(), "\"id\" must be a string, an integer or null");
        }
        if (!"2.0".equals(request.path("jsonrpc").asText(null))) {
            return invalidRequest(replyId, "\"jsonrpc\" must be \"2.0\"");
        }
        JsonNode methodNode = request.get("method");
        if (methodNode == null || !methodNode.isTextual()) {
            return invalidRequest(replyId, "\"method\" must be a string such as \"vm.list\"");
        }
        Method<?> method = methods.get(methodNode.asText());
        String response;
        if (method == null) {
            response = Json.line(RpcResponse.failure(replyId, RpcError.of(ErrorCode.METHOD_NOT_FOUND,
                    "unknown method '" + abbreviate(methodNode.asText()) + "'; known methods: " + String.join(", ", methods.keySet()))));
        } else {
            response = invoke(methodNode.asText(), method, request.get("params"), replyId, call);
        }
        return notification ? null : response;
    }

    private static String invoke(String name, Method<?> method, JsonNode params, JsonNode id, Call call) {
        RpcError error;
        try {
            return RpcResponse.successLine(id, method.invoke(params, call));
        } catch (BangerException e) {
            error = RpcError.of(e.code(), e.getMessage());
        } catch (JsonMappingException e) {
            error = RpcError.of(ErrorCode.INVALID_PARAMS, "invalid params for " + name + ": " + describe(e));
        } catch (JsonProcessingException e) {
            error = RpcError.of(ErrorCode.INVALID_PARAMS, "invalid params for " + name + ": " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "method " + name + " failed", e);
            error = RpcError.of(ErrorCode.INTERNAL, name + " failed: " + e + " (this is a bug in bangerd; its log has the details)");
        }
        return Json.line(RpcResponse.failure(id, error));
    }

    /** "field 'vcpus': expected an integer" rather than Jackson's multi-line internals. */
    private static String describe(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .reduce((a, b) -> a + "." + b).orElse("");
        String msg = e.getOriginalMessage();
        if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "' (known: " + u.getKnownPropertyIds() + ")";
        }
        if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m && m.getTargetType() != null) {
            msg = "expected " + typeName(m.getTargetType());
        }
        return (path.isEmpty() ? "" : "field '" + path + "': ") + msg;
    }

    private static String typeName(Class<?> t) {
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "an integer";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        return "a " + t.getSimpleName();
    }

    private static String invalidRequest(JsonNode id, String message) {
        return Json.line(RpcResponse.failure(id, RpcError.of(ErrorCode.INVALID_REQUEST, message)));
    }

    /** A client's method name, quoted back: printable and short. */
    private static String abbreviate(String s) {
        return dev.banger.core.Text.printable(s, 61);
    }
}
