package dev.banger.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON configuration of the wire format: snake_case fields, unknown fields rejected (a typo in
 * a parameter is an error, not silently ignored), integers never coerced from floats or strings.
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
