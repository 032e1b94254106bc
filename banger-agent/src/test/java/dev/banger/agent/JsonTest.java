package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    @Test
    void parsesFlatObjectsWithEveryEscape() {
        assertThat(Json.parseFlatObject(" { \"method\" : \"ports\", \"token\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\" } "))
                .containsExactly(Map.entry("method", "ports"), Map.entry("token", "a\"b\\c/d\né😀"));
        assertThat(Json.parseFlatObject("{}")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[]", "{\"a\":1}", "{\"a\":\"b\",}", "{\"a\":\"b\"} x", "{\"a\":\"b\",\"a\":\"c\"}", "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}", "{\"a\":\"\\u+123\"}", "{\"a\":\"line\nbreak\"}", "{\"a\":{\"b\":\"c\"}}", "{a:\"b\"}"})
    void rejectsEverythingElse(String text) {
        assertThatThrownBy(() -> Json.parseFlatObject(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void integersAreTakenUpToALongsRangeANanosecondTimeIncluded() {
        assertThat(Json.parse("{\"t\":1767225600123456789,\"m\":-9223372036854775808,\"x\":9223372036854775807}"))
                .isEqualTo(Map.of("t", 1767225600123456789L, "m", Long.MIN_VALUE, "x", Long.MAX_VALUE));
        assertThatThrownBy(() -> Json.parse("9223372036854775808")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 bits");
        assertThatThrownBy(() -> Json.parse("12345678901234567890")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.parse("1.5")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writesWhatJacksonReadsBackUnchanged() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "quote\" backslash\\ tab\t nl\n ctrl\u0001 del\u007f é 😀 lone\ud800 end");
        m.put("n", 42L);
        m.put("i", 7);
        m.put("b", true);
        m.put("z", null);
        m.put("l", List.of("x", Map.of("k", "v")));
        String text = Json.write(m);
        var back = JACKSON.readTree(text);
        assertThat(back.get("s").asText()).isEqualTo("quote\" backslash\\ tab\t nl\n ctrl\u0001 del\u007f é 😀 lone\ufffd end".replace("\ufffd", "\ud800"));
        assertThat(back.get("n").asLong()).isEqualTo(42);
        assertThat(back.get("b").asBoolean()).isTrue();
        assertThat(back.get("z").isNull()).isTrue();
        assertThat(back.at("/l/1/k").asText()).isEqualTo("v");
        assertThat(text).doesNotContain("\u0001").doesNotContain("\u007f");
    }
}
