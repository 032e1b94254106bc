package dev.banger.daemon.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Rpc;
import dev.banger.api.RpcError;
import dev.banger.api.RpcResponse;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns one request line into one response (or none, for a notification). Never throws: every failure,
 * from malformed JSON to a bug in a handler, becomes a JSON-RPC error and the daemon keeps serving.
 * Strict as {@link Json#MAPPER} is: no type coercion, no key given twice. Which error a line gets:
 * not JSON is PARSE_ERROR; JSON but no request object (wrong member types, a key of the request object
 * given twice) is INVALID_REQUEST with a null id; anything wrong with params (wrong shape, a wrong type,
 * an unknown field, a key given twice, params for a method that takes none) is INVALID_PARAMS.
 */
public final class RpcDispatcher {
    private static final Logger LOG = Logger.getLogger(RpcDispatcher.class.getName());

    /** A method: its descriptor and what it does with the decoded parameters. */
    private record Method<P, R>(Rpc<P, R> rpc, BiFunction<P, Call, R> handler) {
        R invoke(JsonNode params, Call call) throws JsonProcessingException {
            P decoded;
            if (!rpc.takesParams()) {
                if (params != null && !params.isNull() && !(params.isObject() && params.isEmpty())) {
                    throw new BangerException(ErrorCode.INVALID_PARAMS, rpc.name() + " takes no params, got "
                            + ParamsProblem.given(params) + "; leave \"params\" out or send {}");
                }
                decoded = null;
            } else {
                JsonNode p = params == null || params.isNull() ? Json.MAPPER.createObjectNode() : params;
                if (!p.isObject()) {
                    throw new BangerException(ErrorCode.INVALID_PARAMS, "params must be a JSON object with named fields, got "
                            + ParamsProblem.given(p));
                }
                decoded = Json.MAPPER.treeToValue(p, rpc.paramsType());
            }
            return handler.apply(decoded, call);
        }
    }

    private final Map<String, Method<?, ?>> methods = new TreeMap<>();

    public <P, R> RpcDispatcher register(Rpc<P, R> rpc, Function<P, R> handler) {
        return registerLong(rpc, (p, call) -> handler.apply(p));
    }

    /**
     * A long-running method: it gets the {@link Call} to report progress and notice a caller that left.
     *
     * @throws IllegalStateException when a method of that name is registered already
     */
    public <P, R> RpcDispatcher registerLong(Rpc<P, R> rpc, BiFunction<P, Call, R> handler) {
        if (methods.putIfAbsent(rpc.name(), new Method<>(rpc, handler)) != null) {
            throw new IllegalStateException("RPC method " + rpc.name() + " is registered twice");
        }
        return this;
    }

    /**
     * Checks that exactly {@code expected} are registered (a server that lacks one, or serves one nobody
     * describes, is a bug to find at start-up, not on the first call).
     *
     * @throws IllegalStateException naming the methods missing and those not expected
     */
    public RpcDispatcher requireExactly(Collection<Rpc<?, ?>> expected) {
        Set<String> missing = new TreeSet<>();
        Set<String> unexpected = new TreeSet<>(methods.keySet());
        for (Rpc<?, ?> rpc : expected) {
            Method<?, ?> bound = methods.get(rpc.name());
            if (bound == null || !bound.rpc().equals(rpc)) {
                missing.add(rpc.name());
            }
            unexpected.remove(rpc.name());
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalStateException("RPC methods without a handler: " + missing + "; handlers of no known method: " + unexpected);
        }
        return this;
    }

    String dispatch(String line) {
        return dispatch(line, Call.NONE);
    }

    /** @return the response line to send, or null for a notification (a request without an id) */
    String dispatch(String line, Call call) {
        JsonNode request;
        String paramsRepeat = null;
        try {
            request = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException strict) {
            DuplicateKey repeat;
            try {
                repeat = DuplicateKey.of(strict, DuplicateKey.readAllowingRepeats(line));
            } catch (JsonProcessingException e) {
                return Json.line(RpcResponse.failure(NullNode.getInstance(), RpcError.of(ErrorCode.PARSE_ERROR,
                        "invalid JSON: " + e.getOriginalMessage() + " (send one JSON-RPC 2.0 object per line)")));
            }
            if (!repeat.inParams()) {
                // Which of the two is meant cannot be known (two ids, two methods): no id to answer with.
                return invalidRequest(NullNode.getInstance(), "the request gives " + repeat.describe()
                        + " twice; give each key once");
            }
            request = repeat.request();
            paramsRepeat = "field '" + repeat.paramsField() + "' is given twice; give each field once";
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
        JsonNode version = request.get("jsonrpc");
        if (version == null || !version.isTextual() || !version.textValue().equals("2.0")) {
            return invalidRequest(replyId, "\"jsonrpc\" must be the string \"2.0\"");
        }
        JsonNode methodNode = request.get("method");
        if (methodNode == null || !methodNode.isTextual()) {
            return invalidRequest(replyId, "\"method\" must be a string such as \"vm.list\"");
        }
        String name = methodNode.textValue();
        Method<?, ?> method = methods.get(name);
        String response;
        if (method == null) {
            response = Json.line(RpcResponse.failure(replyId, RpcError.of(ErrorCode.METHOD_NOT_FOUND,
                    "unknown method '" + abbreviate(name) + "'; known methods: " + String.join(", ", methods.keySet()))));
        } else if (paramsRepeat != null) {
            response = Json.line(RpcResponse.failure(replyId, RpcError.of(ErrorCode.INVALID_PARAMS, "invalid params for " + name + ": " + paramsRepeat)));
        } else {
            response = invoke(method, request.get("params"), replyId, call);
        }
        return notification ? null : response;
    }

    private static String invoke(Method<?, ?> method, JsonNode params, JsonNode id, Call call) {
        String name = method.rpc().name();
        RpcError error;
        try {
            return RpcResponse.successLine(id, method.invoke(params, call));
        } catch (BangerException e) {
            error = RpcError.of(e.code(), e.getMessage());
        } catch (JsonMappingException e) {
            error = RpcError.of(ErrorCode.INVALID_PARAMS, "invalid params for " + name + ": " + ParamsProblem.describe(e, params));
        } catch (JsonProcessingException e) {
            error = RpcError.of(ErrorCode.INVALID_PARAMS, "invalid params for " + name + ": " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "method " + name + " failed", e);
            error = RpcError.of(ErrorCode.INTERNAL, name + " failed: " + e + " (this is a bug in bangerd; its log has the details)");
        }
        return Json.line(RpcResponse.failure(id, error));
    }

    private static String invalidRequest(JsonNode id, String message) {
        return Json.line(RpcResponse.failure(id, RpcError.of(ErrorCode.INVALID_REQUEST, message)));
    }

    /** A client's method name, quoted back: printable and short. */
    private static String abbreviate(String s) {
        return dev.banger.core.Text.printable(s, 61);
    }
}
