package dev.banger.nomad.cty;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A config schema declared once: it yields both the cty type the msgpack is read with and the attributes of the
 * hclspec that the plugin returns to Nomad (ConfigSchema, TaskConfigSchema), so the two cannot drift apart.
 * The hclspec is an {@code Object} spec of one {@code Attr} per attribute; Nomad evaluates the job's config block
 * with it and sends the value encoded with this same object type.
 */
public record ConfigSpec(List<Attr> attrs) {

    /**
     * One attribute: Nomad's {@code hclspec.Attr{name, type, required}}, with {@link #typeExpression()} as its
     * {@code type}. An optional attribute the job leaves out arrives as null.
     */
    public record Attr(String name, CtyType type, boolean required) {
        public Attr {
            Objects.requireNonNull(type);
            if (!name.matches("[a-z][a-z0-9_]*")) {
                throw new IllegalArgumentException("an attribute name must be an HCL identifier in lower case, not " + name);
            }
        }

        /** The HCL type expression hclspec.Attr.type expects: {@code string}, {@code number}, {@code list(string)}. */
        public String typeExpression() {
            return type.typeExpression();
        }
    }

    public ConfigSpec {
        attrs = List.copyOf(attrs);
        if (attrs.stream().map(Attr::name).distinct().count() != attrs.size()) {
            throw new IllegalArgumentException("attribute names must be distinct: " + attrs);
        }
    }

    public static ConfigSpec of(Attr... attrs) {
        return new ConfigSpec(List.of(attrs));
    }

    public static Attr required(String name, CtyType type) {
        return new Attr(name, type, true);
    }

    public static Attr optional(String name, CtyType type) {
        return new Attr(name, type, false);
    }

    /** The object type Nomad encodes the config with: every attribute, by name. */
    public CtyType.ObjectOf type() {
        Map<String, CtyType> types = new LinkedHashMap<>();
        attrs.forEach(a -> types.put(a.name(), a.type()));
        return CtyType.object(types);
    }

    /**
     * The config's attributes decoded from Nomad's msgpack. A null config (nil) reads as every attribute null.
     *
     * @param what names the config in messages ("task config", "plugin config")
     */
    public Map<String, Object> decode(byte[] msgpack, String what) {
        Object value = CtyMsgpack.decode(msgpack, type(), what);
        if (value == null) {
            Map<String, Object> nulls = new LinkedHashMap<>();
            attrs.forEach(a -> nulls.put(a.name(), null));
            return nulls;
        }
        if (value == Unknown.VALUE) {
            throw new ConfigException(what + " is not known yet (Nomad sent an unknown value)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> attrsRead = (Map<String, Object>) value;
        return attrsRead;
    }
}
