package dev.banger.daemon.rpc;

import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.banger.core.Text;
import java.util.Collection;
import java.util.List;

/**
 * What is wrong with a method's params, in words a client can act on: "field 'vcpus': expected an
 * integer, got the string "two"" rather than Jackson's multi-line internals.
 */
final class ParamsProblem {
    private ParamsProblem() {
    }

    /** @param params the params as sent (to quote what a field was given) */
    static String describe(JsonMappingException e, JsonNode params) {
        List<JsonMappingException.Reference> refs = e.getPath();
        String path = path(refs);
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + (path.isEmpty() ? u.getPropertyName() : path) + "' (known: " + u.getKnownPropertyIds() + ")";
        }
        JsonNode given = at(params, refs);
        String msg;
        if (e.getCause() instanceof InputCoercionException tooBig && tooBig.getTargetType() != null) {
            msg = "expected " + typeName(tooBig.getTargetType()) + range(tooBig.getTargetType()) + ", got " + given(given);
        } else if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            msg = "expected " + typeName(m.getTargetType()) + (given == null ? "" : ", got " + given(given));
        } else {
            msg = e.getOriginalMessage();
        }
        return (path.isEmpty() ? "" : "field '" + path + "': ") + msg;
    }

    /** {@code packages[0]}, {@code name}. */
    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(Text.printable(r.getFieldName(), 61));
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The node the path leads to in what was sent, or null where it cannot be followed. */
    private static JsonNode at(JsonNode node, List<JsonMappingException.Reference> refs) {
        for (JsonMappingException.Reference r : refs) {
            if (node == null) {
                return null;
            }
            node = r.getFieldName() != null ? node.get(r.getFieldName()) : r.getIndex() >= 0 ? node.get(r.getIndex()) : null;
        }
        return node;
    }

    /** What a client sent, quoted short: the string "two", the number 1.5, true, an object. */
    static String given(JsonNode node) {
        if (node == null) {
            return "nothing";
        }
        if (node.isTextual()) {
            return "the string \"" + Text.printable(node.textValue(), 40) + "\"";
        }
        if (node.isNumber()) {
            if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
                return "a number beyond any range";
            }
            return "the number " + Text.printable(node.asText(), 40);
        }
        if (node.isBoolean() || node.isNull()) {
            return node.asText();
        }
        return node.isArray() ? "an array" : "an object";
    }

    static String typeName(Class<?> t) {
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "an integer";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(t) || t.isArray()) {
            return "an array";
        }
        return t.isRecord() ? "an object" : "a " + t.getSimpleName();
    }

    private static String range(Class<?> t) {
        if (t == Integer.class || t == int.class) {
            return " from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE;
        }
        if (t == Long.class || t == long.class) {
            return " from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE;
        }
        return "";
    }
}
