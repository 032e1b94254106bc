package dev.banger.nomad.cty;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * go-cty's msgpack encoding of a value, the form in which Nomad hands a plugin its config and a driver each task's
 * config ({@code msgpack.Marshal(val, val.Type())} on Nomad's side, the type being the one the plugin's hclspec
 * implies). The facts, checked against fixtures that go-cty itself wrote (banger-nomad/fixtures):
 * <ul>
 *   <li>null is nil, whatever the type; an unknown value is an extension (go-cty writes fixext1 type 0, and reads
 *       any extension as unknown);</li>
 *   <li>a string is a str; a bool a bool;</li>
 *   <li>a number is an integer when it is a whole number that fits an int64 (smallest form, non-negative ones in
 *       the unsigned family), else a float64 when that holds it exactly, else a str with its decimal text (since
 *       go-cty 1.14.4 a whole number is never a float64: past int64 it is always text);</li>
 *   <li>a list, set or tuple is an array (a set in cty's order); a map is a map from str keys (sorted); an object is
 *       a map from attribute names to values with every attribute of the type present, sorted by name;</li>
 *   <li>a value whose type is {@code any} (DynamicPseudoType) is an array of two: its type in cty's JSON form (as
 *       bin) and the value; a null without a type is plain nil.</li>
 * </ul>
 * Decoding is strict (every attribute once, no other key, no bytes after the value) and bounded by
 * {@link Limits}: the bytes come from Nomad, which a driver trusts, but a bug there must not cost the plugin its
 * memory. Values decode to String, BigDecimal (exact, trailing zeros stripped, whole numbers at scale 0),
 * Boolean, List (list, tuple), Set (set), Map (map, object; in wire order), null, {@link Unknown#VALUE} and
 * {@link CtyDynamic}; collections are unmodifiable.
 */
public final class CtyMsgpack {

    /** Bounds on what one decode reads. */
    public record Limits(int maxInputBytes, int maxDepth, int maxElements, int maxStringBytes, int maxNumberChars) {
        /** Far above any real config: a job's config is a few kilobytes. */
        public static final Limits DEFAULT = new Limits(1 << 20, 32, 4096, 64 * 1024, 1024);
    }

    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final int MAX_TYPE_JSON_BYTES = 16 * 1024;

    private CtyMsgpack() {}

    /**
     * Decodes {@code bytes} as a value of {@code type}. {@code what} names the value in messages ("task config").
     *
     * @throws ConfigException with the path of the offending attribute, e.g.
     *     {@code task config: command[2] must be a string (got msgpack integer)}
     */
    public static Object decode(byte[] bytes, CtyType type, String what) {
        return decode(bytes, type, what, Limits.DEFAULT);
    }

    public static Object decode(byte[] bytes, CtyType type, String what, Limits limits) {
        if (bytes.length == 0) {
            throw new ConfigException(what + " is empty: Nomad sent no msgpack value");
        }
        if (bytes.length > limits.maxInputBytes()) {
            throw new ConfigException(what + " is " + bytes.length + " bytes of msgpack, more than the "
                    + limits.maxInputBytes() + " a config may have");
        }
        Decoder d = new Decoder(new MsgpackReader(bytes), limits, what);
        Object value;
        try {
            value = d.value(type, 0);
        } catch (MsgpackReader.Malformed e) {
            throw new ConfigException(d.where() + " is not valid msgpack: " + e.getMessage());
        }
        if (d.reader.remaining() != 0) {
            throw new ConfigException(what + " has " + d.reader.remaining() + " bytes after its msgpack value");
        }
        return value;
    }

    /**
     * Encodes a value as go-cty's Marshal would (1.14.4 and later, see writeNumber): for the values decode returns,
     * the same bytes it read. Nomad never
     * needs this of a plugin; the test harness does, to play Nomad.
     */
    public static byte[] encode(Object value, CtyType type) {
        MsgpackWriter w = new MsgpackWriter();
        encode(w, value, type);
        return w.toByteArray();
    }

    private static void encode(MsgpackWriter w, Object value, CtyType type) {
        if (type instanceof CtyType.Dynamic && value instanceof CtyDynamic(CtyType t, Object v)) {
            w.writeArrayHeader(2);
            w.writeBinary(CtyTypeJson.write(t).getBytes(StandardCharsets.UTF_8));
            encode(w, v, t);
            return;
        }
        if (value == Unknown.VALUE) {
            w.writeUnknown();
            return;
        }
        if (value == null) {
            w.writeNil();
            return;
        }
        switch (type) {
            case CtyType.Primitive p when p.equals(CtyType.STRING) -> w.writeString(cast(value, String.class, type));
            case CtyType.Primitive p when p.equals(CtyType.BOOL) -> w.writeBool(cast(value, Boolean.class, type));
            case CtyType.Primitive p -> writeNumber(w, toDecimal(value));
            case CtyType.Dynamic d -> throw new IllegalArgumentException("a value of type any must be a CtyDynamic, not "
                    + value.getClass().getSimpleName());
            case CtyType.ListOf l -> writeArray(w, cast(value, Collection.class, type), l.element());
            case CtyType.SetOf s -> writeArray(w, cast(value, Collection.class, type), s.element());
            case CtyType.TupleOf t -> {
                List<?> elems = List.copyOf(cast(value, List.class, type));
                if (elems.size() != t.elements().size()) {
                    throw new IllegalArgumentException("a tuple of " + t.elements().size() + " needs as many values");
                }
                w.writeArrayHeader(elems.size());
                for (int i = 0; i < elems.size(); i++) {
                    encode(w, elems.get(i), t.elements().get(i));
                }
            }
            case CtyType.MapOf m -> {
                TreeMap<String, Object> sorted = new TreeMap<>(CtyType::compareNames);
                for (Map.Entry<?, ?> e : ((Map<?, ?>) cast(value, Map.class, type)).entrySet()) {
                    sorted.put(cast(e.getKey(), String.class, CtyType.STRING), e.getValue());
                }
                w.writeMapHeader(sorted.size());
                sorted.forEach((k, v) -> {
                    w.writeString(k);
                    encode(w, v, m.element());
                });
            }
            case CtyType.ObjectOf o -> {
                Map<?, ?> attrs = cast(value, Map.class, type);
                if (!o.attributes().keySet().containsAll(attrs.keySet())) {
                    throw new IllegalArgumentException("attributes " + attrs.keySet() + " are not all in " + o.attributes().keySet());
                }
                w.writeMapHeader(o.attributes().size());
                o.attributes().forEach((name, t) -> {
                    w.writeString(name);
                    encode(w, attrs.get(name), t);
                });
            }
        }
    }

    private static void writeArray(MsgpackWriter w, Collection<?> elems, CtyType element) {
        w.writeArrayHeader(elems.size());
        for (Object e : elems) {
            encode(w, e, element);
        }
    }

    /**
     * go-cty's rule since 1.14.4 (the go-cty Nomad links): an int64 if exact, else a float64 if exact and not a
     * whole number, else the decimal text. go-cty before 1.14.4 (Debian's 1.12, which made the fixtures) wrote a
     * whole number beyond int64 that a float64 holds exactly (2^63, 2^64) as that float64; decode reads both.
     */
    private static void writeNumber(MsgpackWriter w, BigDecimal n) {
        BigDecimal stripped = n.stripTrailingZeros();
        if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= 19) {
            try {
                w.writeInteger(stripped.longValueExact());
                return;
            } catch (ArithmeticException e) {
                // beyond a long: on to the float64 or the text
            }
        }
        double d = n.doubleValue();
        if (stripped.scale() > 0 && Double.isFinite(d) && new BigDecimal(d).compareTo(n) == 0) {
            w.writeFloat64(d);
        } else {
            w.writeString(stripped.toPlainString());
        }
    }

    private static BigDecimal toDecimal(Object value) {
        return switch (value) {
            case BigDecimal b -> b;
            case BigInteger i -> new BigDecimal(i);
            case Long l -> BigDecimal.valueOf(l);
            case Integer i -> BigDecimal.valueOf(i);
            case Double d when Double.isFinite(d) -> new BigDecimal(d);
            default -> throw new IllegalArgumentException("not a finite number: " + value);
        };
    }

    private static <T> T cast(Object value, Class<T> type, CtyType cty) {
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException(cty.described() + " cannot be written from a " + value.getClass().getSimpleName());
        }
        return type.cast(value);
    }

    /** The reading side: one decode, with the path of where it is for messages. */
    private static final class Decoder {
        final MsgpackReader reader;
        final Limits limits;
        final String what;
        final List<String> path = new ArrayList<>();

        Decoder(MsgpackReader reader, Limits limits, String what) {
            this.reader = reader;
            this.limits = limits;
            this.what = what;
        }

        /** "task config" at the top, "task config: command[2]" inside. */
        String where() {
            if (path.isEmpty()) {
                return what;
            }
            StringBuilder sb = new StringBuilder(what).append(": ");
            for (int i = 0; i < path.size(); i++) {
                String step = path.get(i);
                if (i > 0 && !step.startsWith("[")) {
                    sb.append('.');
                }
                sb.append(step);
            }
            return sb.toString();
        }

        ConfigException wrong(CtyType type, MsgpackReader.Format got) {
            return new ConfigException(where() + " must be " + type.described() + " (got msgpack " + got.described + ")");
        }

        Object value(CtyType type, int depth) {
            if (depth > limits.maxDepth()) {
                throw new ConfigException(where() + " nests deeper than " + limits.maxDepth() + " levels");
            }
            MsgpackReader.Format format = reader.peekFormat();
            if (format == MsgpackReader.Format.EXT) {
                reader.skipExtension(); // go-cty reads any extension as unknown (newer ones carry refinements)
                return Unknown.VALUE;
            }
            if (type instanceof CtyType.Dynamic) {
                return dynamic(depth);
            }
            if (format == MsgpackReader.Format.NIL) {
                reader.readNil();
                return null;
            }
            return switch (type) {
                case CtyType.Primitive p when p.equals(CtyType.STRING) -> {
                    if (format != MsgpackReader.Format.STR) {
                        throw wrong(type, format);
                    }
                    yield string("");
                }
                case CtyType.Primitive p when p.equals(CtyType.BOOL) -> {
                    if (format != MsgpackReader.Format.BOOL) {
                        throw wrong(type, format);
                    }
                    yield reader.readBool();
                }
                case CtyType.Primitive p -> number(format);
                case CtyType.Dynamic d -> throw new AssertionError("handled above");
                case CtyType.ListOf l -> Collections.unmodifiableList(elements(type, format, l.element(), null, depth));
                case CtyType.SetOf s -> Collections.unmodifiableSet(new LinkedHashSet<>(elements(type, format, s.element(), null, depth)));
                case CtyType.TupleOf t -> Collections.unmodifiableList(elements(type, format, null, t.elements(), depth));
                case CtyType.MapOf m -> map(m, format, depth);
                case CtyType.ObjectOf o -> object(o, format, depth);
            };
        }

        private List<Object> elements(CtyType type, MsgpackReader.Format format, CtyType element, List<CtyType> tuple, int depth) {
            if (format != MsgpackReader.Format.ARRAY) {
                throw wrong(type, format);
            }
            long n = reader.readArrayHeader();
            checkCount(n, "elements");
            if (tuple != null && n != tuple.size()) {
                throw new ConfigException(where() + " must be a tuple of " + tuple.size() + " elements, not " + n);
            }
            List<Object> out = new ArrayList<>((int) n);
            for (int i = 0; i < n; i++) {
                path.add("[" + i + "]");
                out.add(value(tuple != null ? tuple.get(i) : element, depth + 1));
                path.removeLast();
            }
            return out;
        }

        private Map<String, Object> map(CtyType.MapOf type, MsgpackReader.Format format, int depth) {
            if (format != MsgpackReader.Format.MAP) {
                throw wrong(type, format);
            }
            long n = reader.readMapHeader();
            checkCount(n, "entries");
            Map<String, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String key = key();
                if (out.containsKey(key)) {
                    throw new ConfigException(where() + " has the key " + quote(key) + " twice");
                }
                path.add("[" + quote(key) + "]");
                out.put(key, value(type.element(), depth + 1));
                path.removeLast();
            }
            return Collections.unmodifiableMap(out);
        }

        private Map<String, Object> object(CtyType.ObjectOf type, MsgpackReader.Format format, int depth) {
            if (format != MsgpackReader.Format.MAP) {
                throw wrong(type, format);
            }
            long n = reader.readMapHeader();
            checkCount(n, "attributes");
            Map<String, Object> read = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = key();
                CtyType attrType = type.attributes().get(name);
                if (attrType == null) {
                    throw new ConfigException(where() + " has an attribute " + quote(name)
                            + " that its schema does not declare (declared: " + String.join(", ", type.attributes().keySet()) + ")");
                }
                if (read.containsKey(name)) {
                    throw new ConfigException(where() + " has the attribute " + quote(name) + " twice");
                }
                path.add(name);
                read.put(name, value(attrType, depth + 1));
                path.removeLast();
            }
            // Nomad writes every attribute of the schema's object, null when the job leaves it out: a missing one
            // means the bytes were made for another schema.
            for (String name : type.attributes().keySet()) {
                if (!read.containsKey(name)) {
                    throw new ConfigException(where() + " lacks the attribute " + quote(name)
                            + ": the msgpack was not made from this plugin's schema");
                }
            }
            return Collections.unmodifiableMap(read);
        }

        private Object dynamic(int depth) {
            MsgpackReader.Format format = reader.peekFormat();
            if (format == MsgpackReader.Format.NIL) {
                reader.readNil();
                return null;
            }
            if (format != MsgpackReader.Format.ARRAY) {
                throw new ConfigException(where() + " must be a [type, value] array of a dynamic value (got msgpack " + format.described + ")");
            }
            long n = reader.readArrayHeader();
            if (n != 2) {
                throw new ConfigException(where() + " must be a [type, value] array of a dynamic value, not an array of " + n);
            }
            MsgpackReader.Format tf = reader.peekFormat();
            long len = switch (tf) {
                case BIN -> reader.readBinaryHeader();
                case STR -> reader.readStringHeader();
                default -> throw new ConfigException(where() + " must start with its type as JSON (got msgpack " + tf.described + ")");
            };
            if (len > MAX_TYPE_JSON_BYTES) {
                throw new ConfigException(where() + " has a type of " + len + " bytes, more than the " + MAX_TYPE_JSON_BYTES + " allowed");
            }
            CtyType type;
            try {
                type = CtyTypeJson.parse(utf8(reader.readBytes(len), " type"));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where() + " has a type that cty cannot read: " + e.getMessage());
            }
            return new CtyDynamic(type, value(type, depth + 1));
        }

        private String key() {
            MsgpackReader.Format f = reader.peekFormat();
            if (f != MsgpackReader.Format.STR) {
                throw new ConfigException(where() + " has a key that is not a string (got msgpack " + f.described + ")");
            }
            return string(" key");
        }

        private String string(String which) {
            long len = reader.readStringHeader();
            if (len > limits.maxStringBytes()) {
                throw new ConfigException(where() + which + " is a string of " + len + " bytes, more than the "
                        + limits.maxStringBytes() + " allowed");
            }
            return utf8(reader.readBytes(len), which);
        }

        private String utf8(byte[] bytes, String which) {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ConfigException(where() + which + " is not valid UTF-8");
            }
        }

        private BigDecimal number(MsgpackReader.Format format) {
            return switch (format) {
                case INT -> new BigDecimal(reader.readInteger());
                case FLOAT -> {
                    double d = reader.readFloat();
                    if (!Double.isFinite(d)) {
                        throw new ConfigException(where() + " must be a finite number, not " + d);
                    }
                    yield canonical(new BigDecimal(d));
                }
                case STR -> {
                    // go-cty writes a number that neither an int64 nor a float64 holds exactly as its decimal text.
                    long len = reader.readStringHeader();
                    if (len > limits.maxNumberChars()) {
                        throw new ConfigException(where() + " is a number of " + len + " digits, more than the "
                                + limits.maxNumberChars() + " allowed");
                    }
                    String text = utf8(reader.readBytes(len), "");
                    if (!DECIMAL.matcher(text).matches()) {
                        throw new ConfigException(where() + " must be a number, not the string " + quote(text));
                    }
                    yield canonical(new BigDecimal(text));
                }
                default -> throw wrong(CtyType.NUMBER, format);
            };
        }

        private void checkCount(long n, String things) {
            if (n > limits.maxElements()) {
                throw new ConfigException(where() + " has " + n + " " + things + ", more than the " + limits.maxElements() + " allowed");
            }
        }
    }

    /** One form for one value: trailing zeros stripped, whole numbers at scale 0 (so equals means equal value). */
    static BigDecimal canonical(BigDecimal n) {
        if (n.signum() == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal s = n.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }

    /** A string quoted for a message: control characters escaped, long ones cut. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        int max = 60;
        for (int i = 0; i < s.length(); i++) {
            if (i == max) {
                sb.append("…(").append(s.length()).append(" characters)");
                break;
            }
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
