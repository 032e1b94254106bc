package dev.banger.nomad.cty;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * cty's JSON encoding of a type, which a dynamic value carries on the wire ({@code "string"},
 * {@code ["list","string"]}, {@code ["object",{"a":"number"}]}, {@code ["tuple",["bool"]]}, {@code "dynamic"}).
 * A small strict parser rather than a JSON library: this grammar is all it has to read, and its input is bounded.
 */
public final class CtyTypeJson {
    private static final int MAX_DEPTH = 32;

    private final String text;
    private int pos;

    private CtyTypeJson(String text) {
        this.text = text;
    }

    /** The type in cty's JSON form, as go-cty's Type.MarshalJSON writes it (object attributes by name). */
    public static String write(CtyType type) {
        return switch (type) {
            case CtyType.Primitive p -> quote(p.name());
            case CtyType.Dynamic d -> quote("dynamic");
            case CtyType.ListOf l -> "[\"list\"," + write(l.element()) + "]";
            case CtyType.SetOf s -> "[\"set\"," + write(s.element()) + "]";
            case CtyType.MapOf m -> "[\"map\"," + write(m.element()) + "]";
            case CtyType.ObjectOf o -> {
                List<String> attrs = new ArrayList<>();
                o.attributes().forEach((name, t) -> attrs.add(quote(name) + ":" + write(t)));
                yield "[\"object\",{" + String.join(",", attrs) + "}]";
            }
            case CtyType.TupleOf t -> "[\"tuple\",[" + String.join(",", t.elements().stream().map(CtyTypeJson::write).toList()) + "]]";
        };
    }

    /** Reads a type in cty's JSON form; IllegalArgumentException says what is wrong with it. */
    public static CtyType parse(String json) {
        CtyTypeJson p = new CtyTypeJson(json);
        CtyType type = p.type(0);
        p.skipSpace();
        if (p.pos != json.length()) {
            throw p.error("text after the type");
        }
        return type;
    }

    private CtyType type(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("a type nested deeper than " + MAX_DEPTH + " levels");
        }
        skipSpace();
        if (peek() == '"') {
            String name = string();
            return switch (name) {
                case "string" -> CtyType.STRING;
                case "number" -> CtyType.NUMBER;
                case "bool" -> CtyType.BOOL;
                case "dynamic" -> CtyType.DYNAMIC;
                default -> throw error("no primitive type \"" + name + "\"");
            };
        }
        expect('[');
        skipSpace();
        String kind = string();
        expect(',');
        CtyType result = switch (kind) {
            case "list" -> CtyType.list(type(depth + 1));
            case "set" -> CtyType.set(type(depth + 1));
            case "map" -> CtyType.map(type(depth + 1));
            case "object" -> {
                Map<String, CtyType> attrs = new LinkedHashMap<>();
                expect('{');
                skipSpace();
                if (peek() != '}') {
                    do {
                        skipSpace();
                        String name = string();
                        expect(':');
                        if (attrs.put(name, type(depth + 1)) != null) {
                            throw error("attribute \"" + name + "\" twice");
                        }
                        skipSpace();
                    } while (accept(','));
                }
                expect('}');
                skipSpace();
                // cty 1.x may add a third element listing optional attributes: a matter of conversion, not of
                // encoding, so it is read and left aside.
                if (accept(',')) {
                    expect('[');
                    skipSpace();
                    if (peek() != ']') {
                        do {
                            skipSpace();
                            string();
                            skipSpace();
                        } while (accept(','));
                    }
                    expect(']');
                }
                yield CtyType.object(attrs);
            }
            case "tuple" -> {
                List<CtyType> elems = new ArrayList<>();
                expect('[');
                skipSpace();
                if (peek() != ']') {
                    do {
                        elems.add(type(depth + 1));
                        skipSpace();
                    } while (accept(','));
                }
                expect(']');
                yield CtyType.tuple(elems);
            }
            default -> throw error("no type kind \"" + kind + "\"");
        };
        expect(']');
        return result;
    }

    private String string() {
        skipSpace();
        if (peek() != '"') {
            throw error("a string expected");
        }
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("a control character in a string");
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
                    if (pos + 4 > text.length()) {
                        throw error("a \\u escape cut short");
                    }
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("a bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw error("a bad escape \\" + e);
            }
        }
    }

    private void expect(char c) {
        skipSpace();
        if (peek() != c) {
            throw error("'" + c + "' expected");
        }
        pos++;
    }

    private boolean accept(char c) {
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private char peek() {
        if (pos >= text.length()) {
            throw error("the type ends too soon");
        }
        return text.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void skipSpace() {
        while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("bad cty type JSON at character " + pos + ": " + what);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
