package dev.banger.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterModifier;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.BeanPropertyIntrospector;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import com.fasterxml.jackson.jr.ob.impl.POJODefinition;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The wire format of {@link Json} as the CLI reads and writes it, with jackson-jr instead of Jackson's databind.
 * The CLI is a process that lives for one command, and databind's start-up (its mapper, the JDK's calendar and
 * time-zone classes it initialises, a deserializer built per type: ~25 ms and ~900 classes) is most of what
 * a {@code banger vm list} would otherwise cost over a bare JVM. The daemon keeps {@link Json}: it is the strict
 * side (unknown fields, coercions and duplicate keys are refused there), and it lives long.
 *
 * <p>What both must agree on, and ClientJsonConformanceTest checks for every type in {@link Rpcs}: snake_case
 * field names in declaration order, lowercase enum constants, ISO-8601 instants, nulls written as null. The
 * reading side here is lenient (a newer daemon's extra field is skipped), since it reads only bangerd's answers.
 */
public final class ClientJson {
    private static final JSON JSON_LINES = JSON.builder()
            .enable(JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER, JSON.Feature.WRITE_NULL_PROPERTIES)
            .disable(JSON.Feature.FAIL_ON_UNKNOWN_BEAN_PROPERTY)
            .register(new WireFormat())
            .build();
    private static final JSON JSON_PRETTY = JSON_LINES.with(JSON.Feature.PRETTY_PRINT_OUTPUT);

    private ClientJson() {
    }

    /** {@code value} as one line of compact JSON (never a raw newline). */
    public static String line(Object value) {
        return encode(JSON_LINES, value);
    }

    /** {@code value} as indented JSON, for people ({@code --json}). */
    public static String pretty(Object value) {
        return encode(JSON_PRETTY, value);
    }

    private static String encode(JSON json, Object value) {
        try {
            return json.asString(value);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot encode JSON: " + e.getMessage(), e);
        }
    }

    /** The line of a JSON-RPC 2.0 call of {@code rpc} with {@code params} (null for a method that takes none). */
    public static <P> String request(long id, Rpc<P, ?> rpc, P params) {
        StringWriter line = new StringWriter();
        try (JsonGenerator out = JSON_LINES.getStreamingFactory().createGenerator(line)) {
            out.writeStartObject();
            out.writeStringField("jsonrpc", RpcRequest.VERSION);
            out.writeNumberField("id", id);
            out.writeStringField("method", rpc.name());
            if (params != null) {
                out.writeFieldName("params");
                out.writeRawValue(line(params));
            }
            out.writeEndObject();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot encode a call of " + rpc.name() + ": " + e.getMessage(), e);
        }
        return line.toString();
    }

    /** A parser over {@code text}, for reading an envelope by hand and its parts with {@link #read(JsonParser, Class)}. */
    public static JsonParser parser(String text) throws IOException {
        return JSON_LINES.getStreamingFactory().createParser(text);
    }

    /** The value at {@code in}'s current token as a {@code type}. */
    public static <T> T read(JsonParser in, Class<T> type) throws IOException {
        return JSON_LINES.beanFrom(type, in);
    }

    /** {@code text} as a {@code type}. */
    public static <T> T read(String text, Class<T> type) throws IOException {
        return JSON_LINES.beanFrom(type, text);
    }

    /**
     * Builds and caches the reader of {@code type} (by reading an empty object into it), so that a thread that
     * prepares a call's result type ahead of its answer takes that work off the answer's path.
     */
    public static void prepareReader(Class<?> type) {
        try {
            JSON_LINES.beanFrom(type, "{}");
        } catch (IOException | RuntimeException ignored) {
            // an empty object need not be a valid value: the reader is built and cached all the same
        }
    }

    /** {@code text}, a JSON object, as a map of Java values (strings, numbers, booleans, lists, maps, null). */
    public static Map<String, Object> object(String text) throws IOException {
        return JSON_LINES.mapFrom(text);
    }

    /** Jackson's databind SNAKE_CASE, letter for letter: an underscore before an upper-case letter that follows none. */
    static String snakeCase(String name) {
        StringBuilder out = new StringBuilder(name.length() + 4);
        boolean previousUpper = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (i == 0 && c == '_') {
                continue;
            }
            if (Character.isUpperCase(c)) {
                if (!previousUpper && !out.isEmpty() && out.charAt(out.length() - 1) != '_') {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
                previousUpper = true;
            } else {
                out.append(c);
                previousUpper = false;
            }
        }
        return out.toString();
    }

    /** snake_case names, lowercase enums and ISO-8601 instants, as {@link Json} configures databind. */
    private static final class WireFormat extends JacksonJrExtension {
        @Override
        protected void register(ExtensionContext ctxt) {
            ctxt.insertModifier(new SnakeCaseNames());
            ctxt.insertProvider(new WireValues());
        }
    }

    /**
     * Written under their snake_case names. Read under both (jackson-jr binds a record's properties by component
     * name, so the snake_case name is an alias).
     */
    private static final class SnakeCaseNames extends ReaderWriterModifier {
        @Override
        public POJODefinition pojoDefinitionForSerialization(JSONWriter writer, Class<?> type) {
            POJODefinition plain = BeanPropertyIntrospector.instance().pojoDefinitionForSerialization(writer, type);
            List<POJODefinition.Prop> renamed = new ArrayList<>();
            for (POJODefinition.Prop p : plain.getProperties()) {
                renamed.add(new POJODefinition.Prop(snakeCase(p.name), p.field, p.setter, p.getter, p.isGetter, null));
            }
            return plain.withProperties(renamed);
        }

        @Override
        public POJODefinition pojoDefinitionForDeserialization(JSONReader reader, Class<?> type) {
            POJODefinition plain = BeanPropertyIntrospector.instance().pojoDefinitionForDeserialization(reader, type);
            List<POJODefinition.Prop> aliased = new ArrayList<>();
            for (POJODefinition.Prop p : plain.getProperties()) {
                String snake = snakeCase(p.name);
                aliased.add(new POJODefinition.Prop(p.name, p.field, p.setter, p.getter, p.isGetter,
                        snake.equals(p.name) ? null : List.of(snake)));
            }
            return plain.withProperties(aliased);
        }

        /** Enums are one of jackson-jr's standard types, which providers are not asked about. */
        @Override
        public ValueReader modifyValueReader(JSONReader reader, Class<?> type, ValueReader standard) {
            return type.isEnum() ? new LowercaseEnumReader(type) : standard;
        }

        @Override
        public ValueWriter overrideStandardValueWriter(JSONWriter writer, Class<?> type, int standardTypeId) {
            return type.isEnum() ? new LowercaseEnumWriter(type) : null;
        }
    }

    private static final class WireValues extends ReaderWriterProvider {
        @Override
        public ValueReader findValueReader(JSONReader reader, Class<?> type) {
            return type == Instant.class ? new InstantReader() : null;
        }

        @Override
        public ValueWriter findValueWriter(JSONWriter writer, Class<?> type) {
            return type == Instant.class ? new InstantWriter() : null;
        }
    }

    private static final class InstantReader extends ValueReader {
        InstantReader() {
            super(Instant.class);
        }

        @Override
        public Object read(JSONReader reader, JsonParser in) throws IOException {
            String text = in.getValueAsString();
            if (text == null) {
                return null;
            }
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new com.fasterxml.jackson.core.JsonParseException(in, "not an ISO-8601 instant: " + text);
            }
        }
    }

    private static final class InstantWriter implements ValueWriter {
        @Override
        public void writeValue(JSONWriter context, JsonGenerator out, Object value) throws IOException {
            out.writeString(value.toString());
        }

        @Override
        public Class<?> valueType() {
            return Instant.class;
        }
    }

    /** A constant by its name in any case ("running" as databind writes it here, "RUNNING" as Java spells it). */
    private static final class LowercaseEnumReader extends ValueReader {
        private final Map<String, Object> byName = new java.util.HashMap<>();

        LowercaseEnumReader(Class<?> type) {
            super(type);
            for (Object constant : type.getEnumConstants()) {
                byName.put(((Enum<?>) constant).name().toLowerCase(Locale.ROOT), constant);
            }
        }

        @Override
        public Object read(JSONReader reader, JsonParser in) throws IOException {
            String text = in.getValueAsString();
            if (text == null) {
                return null;
            }
            Object constant = byName.get(text.toLowerCase(Locale.ROOT));
            if (constant == null) {
                throw new com.fasterxml.jackson.core.JsonParseException(in, "not a " + valueType().getSimpleName() + ": " + text);
            }
            return constant;
        }
    }

    private record LowercaseEnumWriter(Class<?> valueType) implements ValueWriter {
        @Override
        public void writeValue(JSONWriter context, JsonGenerator out, Object value) throws IOException {
            out.writeString(((Enum<?>) value).name().toLowerCase(Locale.ROOT));
        }
    }
}
