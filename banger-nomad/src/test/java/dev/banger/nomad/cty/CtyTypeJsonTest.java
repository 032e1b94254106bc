package dev.banger.nomad.cty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** cty's JSON type form read strictly and written as go-cty (Go's encoding/json) writes it; the golden fixtures check the rest. */
class CtyTypeJsonTest {
    @Test
    void writesAsGoCtyDoes() {
        Map<String, CtyType> attrs = new LinkedHashMap<>();
        attrs.put("b", CtyType.list(CtyType.STRING));
        attrs.put("a<&>\n\u0001\u2028é", CtyType.tuple(List.of(CtyType.BOOL, CtyType.DYNAMIC)));
        assertThat(CtyTypeJson.write(CtyType.object(attrs)))
                .isEqualTo("[\"object\",{\"a\\u003c\\u0026\\u003e\\n\\u0001\\u2028é\":[\"tuple\",[\"bool\",\"dynamic\"]],"
                        + "\"b\":[\"list\",\"string\"]}]");
        assertThat(CtyTypeJson.write(CtyType.map(CtyType.set(CtyType.NUMBER)))).isEqualTo("[\"map\",[\"set\",\"number\"]]");
        assertThat(CtyTypeJson.parse(CtyTypeJson.write(CtyType.object(attrs)))).isEqualTo(CtyType.object(attrs));
    }

    @Test
    void readsWhitespaceAndTheOptionalAttributesOfCty1() {
        assertThat(CtyTypeJson.parse(" [ \"object\" , { \"a\" : \"number\" } , [\"a\"] ] "))
                .isEqualTo(CtyType.object(Map.of("a", CtyType.NUMBER)));
    }

    @Test
    void refusesWhatIsNotATypeSayingWhat() {
        assertThatThrownBy(() -> CtyTypeJson.parse("[\"object\",{\"a\":\"bool\",\"a\":\"number\"}]"))
                .hasMessageStartingWith("bad cty type JSON at character").hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> CtyTypeJson.parse("\"string\" \"number\"")).hasMessageStartingWith("bad cty type JSON");
        assertThatThrownBy(() -> CtyTypeJson.parse("")).hasMessage("bad cty type JSON: no type in it");
        assertThatThrownBy(() -> CtyTypeJson.parse("[\"list\"]"))
                .hasMessage("bad cty type JSON: a type is a primitive's name or an array [\"KIND\", ...], not array");
        assertThatThrownBy(() -> CtyTypeJson.parse("[\"list\",\"string\",\"x\"]"))
                .hasMessage("bad cty type JSON: a \"list\" type has 3 elements");
        assertThatThrownBy(() -> CtyTypeJson.parse("[\"object\",[]]"))
                .hasMessage("bad cty type JSON: an object type's attributes are a JSON object");
        assertThatThrownBy(() -> CtyTypeJson.parse("[\"capsule\",\"x\"]")).hasMessage("bad cty type JSON: no type kind \"capsule\"");
        assertThatThrownBy(() -> CtyTypeJson.parse("['list','string']")).hasMessageStartingWith("bad cty type JSON at character 1");
        String deep = "[\"list\",".repeat(33) + "\"string\"" + "]".repeat(33);
        assertThatThrownBy(() -> CtyTypeJson.parse(deep)).hasMessage("bad cty type JSON: a type nested deeper than 32 levels");
        String deeper = "[\"object\",{\"a\":".repeat(40) + "\"string\"" + "}]".repeat(40);
        assertThatThrownBy(() -> CtyTypeJson.parse(deeper)).hasMessageStartingWith("bad cty type JSON: ")
                .hasMessageContaining("nesting depth");
        assertThat(CtyTypeJson.parse("[\"list\",".repeat(32) + "\"string\"" + "]".repeat(32))).isNotNull();
    }
}
