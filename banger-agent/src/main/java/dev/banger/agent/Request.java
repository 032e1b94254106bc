package dev.banger.agent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One request from the host: the JSON object a stream was opened with, read with typed getters that
 * refuse what does not have the expected shape (the host is trusted, but a bug must be an error, not a
 * surprise). {@code op} names what is asked.
 */
final class Request {
    /** The largest request the agent reads (a frame's payload is at most 64 KiB). */
    static final int MAX_BYTES = 64 * 1024;

    private final Map<?, ?> fields;

    private Request(Map<?, ?> fields) {
        this.fields = fields;
    }

    static Request parse(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("request of " + bytes.length + " bytes: at most " + MAX_BYTES);
        }
        Object v = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("a request is a JSON object");
        }
        return new Request(m);
    }

    /** Whether {@code bytes} is a well-formed request for {@code op} (anything malformed is not: {@link #parse} reports it). */
    static boolean isOp(byte[] bytes, String op) {
        try {
            return parse(bytes).op().equals(op);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    String op() {
        return string("op", "");
    }

    String string(String key, String otherwise) {
        Object v = fields.get(key);
        if (v == null) {
            return otherwise;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("'" + key + "' must be a string");
        }
        return s;
    }

    boolean bool(String key) {
        Object v = fields.get(key);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("'" + key + "' must be true or false");
        }
        return b;
    }

    long number(String key, long otherwise, long min, long max) {
        Object v = fields.get(key);
        if (v == null) {
            return otherwise;
        }
        if (!(v instanceof Long n) || n < min || n > max) {
            throw new IllegalArgumentException("'" + key + "' must be an integer from " + min + " to " + max);
        }
        return n;
    }

    List<String> strings(String key) {
        Object v = fields.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException("'" + key + "' must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException("'" + key + "' must be a list of strings");
            }
            out.add(s);
        }
        return out;
    }

    Map<String, String> stringMap(String key) {
        Object v = fields.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("'" + key + "' must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new IllegalArgumentException("'" + key + "' must be an object of strings");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }
}
