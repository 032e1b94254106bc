package dev.banger.nomad.cty;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * cty's JSON encoding of a type, which a dynamic value carries on the wire ({@code "string"},
 * {@code ["list","string"]}, {@code ["object",{"a":"number"}]}, {@code ["tuple",["bool"]]}, {@code "dynamic"}), read and
 * written with Jackson: strict (duplicate keys, trailing text and a nesting past {@link #MAX_DEPTH} are refused) and
 * written as go-cty writes it (compact, object attributes by name, strings escaped as Go's encoding/json does).
 */
public final class CtyTypeJson {
    /** cty types nest at most this deep; each level is one or two JSON levels (an object's is an array and an object). */
    private static final int MAX_DEPTH = 32;
    private static final ObjectMapper JSON = JsonMapper.builder(new JsonFactoryBuilder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(2 * MAX_DEPTH + 2).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .characterEscapes(new GoEscapes())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private CtyTypeJson() {
    }

    /** The type in cty's JSON form, as go-cty's Type.MarshalJSON writes it (object attributes by name). */
    public static String write(CtyType type) {
        try {
            return JSON.writeValueAsString(node(type));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a cty type as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode node(CtyType type) {
        return switch (type) {
            case CtyType.Primitive p -> NODES.textNode(p.name());
            case CtyType.Dynamic d -> NODES.textNode("dynamic");
            case CtyType.ListOf l -> NODES.arrayNode().add("list").add(node(l.element()));
            case CtyType.SetOf s -> NODES.arrayNode().add("set").add(node(s.element()));
            case CtyType.MapOf m -> NODES.arrayNode().add("map").add(node(m.element()));
            case CtyType.ObjectOf o -> {
                ObjectNode attrs = NODES.objectNode();
                o.attributes().forEach((name, t) -> attrs.set(name, node(t)));
                yield NODES.arrayNode().add("object").add(attrs);
            }
            case CtyType.TupleOf t -> {
                ArrayNode elems = NODES.arrayNode();
                t.elements().forEach(e -> elems.add(node(e)));
                yield NODES.arrayNode().add("tuple").add(elems);
            }
        };
    }

    /** Reads a type in cty's JSON form; IllegalArgumentException says what is wrong with it. */
    public static CtyType parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " at character " + e.getLocation().getCharOffset();
            throw new IllegalArgumentException("bad cty type JSON" + at + ": " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw bad("no type in it");
        }
        return type(root, 0);
    }

    private static CtyType type(JsonNode n, int depth) {
        if (depth > MAX_DEPTH) {
            throw bad("a type nested deeper than " + MAX_DEPTH + " levels");
        }
        if (n.isTextual()) {
            return switch (n.textValue()) {
                case "string" -> CtyType.STRING;
                case "number" -> CtyType.NUMBER;
                case "bool" -> CtyType.BOOL;
                case "dynamic" -> CtyType.DYNAMIC;
                default -> throw bad("no primitive type \"" + n.textValue() + "\"");
            };
        }
        if (!n.isArray() || n.size() < 2 || !n.get(0).isTextual()) {
            throw bad("a type is a primitive's name or an array [\"KIND\", ...], not " + n.getNodeType().name().toLowerCase());
        }
        String kind = n.get(0).textValue();
        JsonNode arg = n.get(1);
        // cty 1.x may add a third element to an object listing its optional attributes: a matter of conversion, not
        // of encoding, so it is checked for its shape and left aside.
        int size = kind.equals("object") && n.size() == 3 && isStrings(n.get(2)) ? 2 : n.size();
        if (size != 2) {
            throw bad("a \"" + kind + "\" type has " + n.size() + " elements");
        }
        return switch (kind) {
            case "list" -> CtyType.list(type(arg, depth + 1));
            case "set" -> CtyType.set(type(arg, depth + 1));
            case "map" -> CtyType.map(type(arg, depth + 1));
            case "object" -> {
                if (!arg.isObject()) {
                    throw bad("an object type's attributes are a JSON object");
                }
                Map<String, CtyType> attrs = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> a : arg.properties()) {
                    attrs.put(a.getKey(), type(a.getValue(), depth + 1));
                }
                yield CtyType.object(attrs);
            }
            case "tuple" -> {
                if (!arg.isArray()) {
                    throw bad("a tuple type's elements are a JSON array");
                }
                List<CtyType> elems = new ArrayList<>();
                for (JsonNode e : arg) {
                    elems.add(type(e, depth + 1));
                }
                yield CtyType.tuple(elems);
            }
            default -> throw bad("no type kind \"" + kind + "\"");
        };
    }

    private static boolean isStrings(JsonNode n) {
        if (!n.isArray()) {
            return false;
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException bad(String what) {
        return new IllegalArgumentException("bad cty type JSON: " + what);
    }

    /**
     * Strings escaped as Go's encoding/json writes them (go-cty marshals an object's attribute names with it): {@code \n},
     * {@code \r}, {@code \t}, {@code \b}, {@code \f} short, other control characters, {@code <}, {@code >}, {@code &}, U+2028
     * and U+2029 as a backslash-u escape in lowercase hex; Jackson's own escapes differ in those.
     */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] ascii = standardAsciiEscapesForJSON();

        GoEscapes() {
            for (int c = 0; c < 0x20; c++) {
                if (ascii[c] == ESCAPE_STANDARD) {
                    ascii[c] = ESCAPE_CUSTOM;
                }
            }
            ascii['<'] = ESCAPE_CUSTOM;
            ascii['>'] = ESCAPE_CUSTOM;
            ascii['&'] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            boolean escaped = ch < ascii.length ? ascii[ch] == ESCAPE_CUSTOM : ch == 0x2028 || ch == 0x2029;
            return escaped ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }
}
