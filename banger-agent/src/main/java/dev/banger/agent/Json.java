package dev.banger.agent;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's JSON, by hand on purpose: with Jackson loaded the agent's RSS in the guest was 48 MiB,
 * without it 39 MiB (issue target: 40), since the agent's whole vocabulary is a flat request object of
 * strings and replies built from maps, lists, strings, numbers and booleans. The daemon, which parses
 * the replies, uses Jackson. Strict: anything but that shape is an error.
 */
final class Json {
    private Json() {
    }

    /** How deep a request may nest: the agent's requests are an object of strings, lists and maps of strings. */
    static final int MAX_DEPTH = 4;

    /**
     * Parses a request: objects (no duplicate keys), arrays, strings, integers, booleans and null, nested
     * at most {@link #MAX_DEPTH} deep. The caller bounds the text's length.
     */
    static Object parse(String text) {
        Reader r = new Reader(text);
        r.skipSpace();
        Object v = r.value(0);
        r.skipSpace();
        if (r.pos != text.length()) {
            throw new IllegalArgumentException("text after the value");
        }
        return v;
    }

    /** Parses {@code {"key": "string", ...}} (strings only, no nesting, no duplicate keys). */
    static Map<String, String> parseFlatObject(String text) {
        Reader r = new Reader(text);
        Map<String, String> out = new LinkedHashMap<>();
        r.skipSpace();
        r.expect('{');
        r.skipSpace();
        if (r.peek() == '}') {
            r.next();
        } else {
            while (true) {
                r.skipSpace();
                String key = r.string();
                r.skipSpace();
                r.expect(':');
                r.skipSpace();
                String value = r.string();
                if (out.put(key, value) != null) {
                    throw new IllegalArgumentException("duplicate key " + key);
                }
                r.skipSpace();
                char c = r.next();
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw new IllegalArgumentException("expected , or } at " + (r.pos - 1));
                }
            }
        }
        r.skipSpace();
        if (r.pos != text.length()) {
            throw new IllegalArgumentException("text after the object");
        }
        return out;
    }

    /** Writes maps (keys in their order), lists, strings, numbers, booleans and null as JSON. */
    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    // instanceof tests, not a pattern switch: the switch's bootstrap spins a class at its first use (~50 ms in
    // a TCG guest, on the agent's first answer), and the agent's AOT cache keeps none of them.
    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, list.get(i));
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getSimpleName() + " as JSON");
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogateAt(s, i)) {
                        sb.append(String.format("\\u%04x", (int) c)); // controls, and lone surrogates from broken UTF-8
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    private static final class Reader {
        private final String text;
        private int pos;

        Reader(String text) {
            this.text = text;
        }

        char peek() {
            if (pos >= text.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            return text.charAt(pos);
        }

        char next() {
            char c = peek();
            pos++;
            return c;
        }

        void expect(char c) {
            if (next() != c) {
                throw new IllegalArgumentException("expected " + c + " at " + (pos - 1));
            }
        }

        void skipSpace() {
            while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
            }
            char c = peek();
            switch (c) {
                case '"' -> {
                    return string();
                }
                case '{' -> {
                    next();
                    Map<String, Object> m = new LinkedHashMap<>();
                    skipSpace();
                    if (peek() == '}') {
                        next();
                        return m;
                    }
                    while (true) {
                        skipSpace();
                        String key = string();
                        skipSpace();
                        expect(':');
                        skipSpace();
                        if (m.put(key, value(depth + 1)) != null) {
                            throw new IllegalArgumentException("duplicate key " + key);
                        }
                        skipSpace();
                        char d = next();
                        if (d == '}') {
                            return m;
                        }
                        if (d != ',') {
                            throw new IllegalArgumentException("expected , or } at " + (pos - 1));
                        }
                    }
                }
                case '[' -> {
                    next();
                    List<Object> list = new java.util.ArrayList<>();
                    skipSpace();
                    if (peek() == ']') {
                        next();
                        return list;
                    }
                    while (true) {
                        skipSpace();
                        list.add(value(depth + 1));
                        skipSpace();
                        char d = next();
                        if (d == ']') {
                            return list;
                        }
                        if (d != ',') {
                            throw new IllegalArgumentException("expected , or ] at " + (pos - 1));
                        }
                    }
                }
                default -> {
                    return literal();
                }
            }
        }

        /**
         * true, false, null or an integer within a long (the agent's requests have no fractions; a time in
         * nanoseconds since the epoch has 19 digits).
         */
        Object literal() {
            int start = pos;
            while (pos < text.length() && "{}[],: \t\r\n\"".indexOf(text.charAt(pos)) < 0) {
                pos++;
            }
            String word = text.substring(start, pos);
            switch (word) {
                case "true" -> {
                    return Boolean.TRUE;
                }
                case "false" -> {
                    return Boolean.FALSE;
                }
                case "null" -> {
                    return null;
                }
                default -> {
                    if (!word.matches("-?[0-9]{1,19}")) {
                        throw new IllegalArgumentException("not a value: " + word.substring(0, Math.min(20, word.length())));
                    }
                    try {
                        return Long.parseLong(word);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("an integer beyond 64 bits: " + word);
                    }
                }
            }
        }

        String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > text.length() || !text.substring(pos, pos + 4).matches("[0-9A-Fa-f]{4}")) {
                            throw new IllegalArgumentException("bad \\u escape");
                        }
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape \\" + e);
                }
            }
        }
    }
}
