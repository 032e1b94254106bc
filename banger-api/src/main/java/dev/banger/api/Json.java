package dev.banger.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MutableCoercionConfig;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

/**
 * The one JSON configuration of the wire format: snake_case fields, unknown fields rejected (a typo in
 * a parameter is an error, not silently ignored), duplicate keys rejected (no "last one wins"), and no
 * type coercion at all: a string field takes only a JSON string ({@code 1}, {@code true} or {@code 1e400}
 * are not names), an integer field only a JSON integer, a boolean field only {@code true} or {@code false}.
 */
public final class Json {
    private static final com.fasterxml.jackson.annotation.JsonInclude.Value NON_NULL =
            com.fasterxml.jackson.annotation.JsonInclude.Value.construct(
                    com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL,
                    com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL);

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // ALLOW_COERCION_OF_SCALARS covers numbers and booleans as targets but not strings: say it for each.
            .withCoercionConfig(LogicalType.Textual, c -> fail(c, CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean))
            .withCoercionConfig(LogicalType.Integer, c -> fail(c, CoercionInputShape.Float, CoercionInputShape.String,
                    CoercionInputShape.EmptyString, CoercionInputShape.Boolean))
            .withCoercionConfig(LogicalType.Float, c -> fail(c, CoercionInputShape.String, CoercionInputShape.EmptyString, CoercionInputShape.Boolean))
            .withCoercionConfig(LogicalType.Boolean, c -> fail(c, CoercionInputShape.Integer, CoercionInputShape.Float,
                    CoercionInputShape.String, CoercionInputShape.EmptyString))
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // Enums on the wire are lowercase ("stopped"). Configured here rather than with annotations:
            // annotation lookups cost the short-lived CLI a dynamic proxy class each.
            .configure(com.fasterxml.jackson.databind.cfg.EnumFeature.WRITE_ENUMS_TO_LOWERCASE, true)
            .enable(com.fasterxml.jackson.databind.MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .withConfigOverride(RpcRequest.class, o -> o.setInclude(NON_NULL))
            .withConfigOverride(RpcResponse.class, o -> o.setInclude(NON_NULL))
            .withConfigOverride(RpcError.class, o -> o.setInclude(NON_NULL))
            .build();

    private Json() {
    }

    private static void fail(MutableCoercionConfig config, CoercionInputShape... shapes) {
        for (CoercionInputShape shape : shapes) {
            config.setCoercion(shape, CoercionAction.Fail);
        }
    }

    /** One line of the wire protocol: compact JSON, never containing a raw newline. */
    public static String line(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot encode JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static String pretty(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new BangerException(ErrorCode.INTERNAL, "cannot encode JSON: " + e.getOriginalMessage(), e);
        }
    }
}
