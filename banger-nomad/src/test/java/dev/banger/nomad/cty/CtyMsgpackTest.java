package dev.banger.nomad.cty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class CtyMsgpackTest {

    private static final CtyType TASK = TaskConfig.SPEC.type();
    /** Fixtures with a whole number past int64 that go-cty 1.12 wrote as a float64 (see CtyMsgpack.writeNumber). */
    private static final Set<String> WHOLE_FLOATS = Set.of("task_big", "number_two_pow_64");

    /** Every fixture: decodes to the value go-cty encoded, and encodes back to go-cty's very bytes. */
    @TestFactory
    Stream<DynamicTest> decodesEveryGoldenFixture() {
        List<GoldenFixtures.Fixture> all = GoldenFixtures.all();
        assertThat(all).hasSizeGreaterThan(40);
        return all.stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            assertThat(CtyTypeJson.write(f.type())).as("type JSON as go-cty writes it").isEqualTo(f.typeJson());
            if (f.name().endsWith("_infinity")) {
                assertThatThrownBy(() -> CtyMsgpack.decode(f.msgpack(), f.type(), "value"))
                        .isInstanceOf(ConfigException.class).hasMessageContaining("must be a finite number");
                return;
            }
            Object value = CtyMsgpack.decode(f.msgpack(), f.type(), "value");
            assertMatches(f.expected(), value, f.type(), f.name());
            byte[] again = CtyMsgpack.encode(value, f.type());
            if (WHOLE_FLOATS.contains(f.name())) {
                // Written by go-cty 1.12 as a float64; go-cty 1.14.4+ (and encode) write it as text. Same value.
                assertThat(again).isNotEqualTo(f.msgpack());
                assertThat(CtyMsgpack.decode(again, f.type(), "value")).isEqualTo(value);
            } else {
                assertThat(HexFormat.of().formatHex(again)).as("re-encoded like go-cty").isEqualTo(HexFormat.of().formatHex(f.msgpack()));
            }
        }));
    }

    /** Compares a decoded value with the fixture's JSON form, directed by the type (see fixtures/gen.go). */
    static void assertMatches(JsonNode expected, Object actual, CtyType type, String path) {
        if (expected.isObject() && expected.has("$unknown")) {
            assertThat(actual).as(path).isSameAs(Unknown.VALUE);
            return;
        }
        if (type instanceof CtyType.Dynamic && !expected.isNull()) {
            assertThat(actual).as(path).isInstanceOf(CtyDynamic.class);
            CtyDynamic d = (CtyDynamic) actual;
            assertThat(CtyTypeJson.write(d.type())).as(path + " type").isEqualTo(expected.get("$type").toString());
            assertMatches(expected.get("$value"), d.value(), d.type(), path);
            return;
        }
        if (expected.isNull()) {
            assertThat(actual).as(path).isNull();
            return;
        }
        switch (type) {
            case CtyType.Primitive p when p.equals(CtyType.STRING) -> assertThat(actual).as(path).isEqualTo(expected.asText());
            case CtyType.Primitive p when p.equals(CtyType.BOOL) -> assertThat(actual).as(path).isEqualTo(expected.asBoolean());
            case CtyType.Primitive p -> {
                assertThat(actual).as(path).isInstanceOf(BigDecimal.class);
                BigDecimal n = (BigDecimal) actual;
                assertThat(n).as(path).isEqualByComparingTo(new BigDecimal(expected.asText()));
                assertThat(n).as(path + " in canonical form").isEqualTo(CtyMsgpack.canonical(n));
            }
            case CtyType.ListOf l -> assertElements(expected, actual, List.class, i -> l.element(), path);
            case CtyType.SetOf s -> assertElements(expected, actual, Set.class, i -> s.element(), path);
            case CtyType.TupleOf t -> assertElements(expected, actual, List.class, t.elements()::get, path);
            case CtyType.MapOf m -> {
                @SuppressWarnings("unchecked") Map<Object, Object> map = (Map<Object, Object>) actual;
                assertThat(map.keySet()).as(path).containsExactlyInAnyOrderElementsOf(new ArrayList<Object>(names(expected)));
                map.forEach((k, v) -> assertMatches(expected.get((String) k), v, m.element(), path + "[" + k + "]"));
            }
            case CtyType.ObjectOf o -> {
                @SuppressWarnings("unchecked") Map<Object, Object> map = (Map<Object, Object>) actual;
                assertThat(map.keySet()).as(path).containsExactlyElementsOf(new ArrayList<Object>(o.attributes().keySet()));
                o.attributes().forEach((name, t) -> assertMatches(expected.get(name), map.get(name), t, path + "." + name));
            }
            case CtyType.Dynamic d -> fail("handled above");
        }
    }

    private static void assertElements(JsonNode expected, Object actual, Class<?> kind,
                                       java.util.function.IntFunction<CtyType> types, String path) {
        assertThat(actual).as(path).isInstanceOf(kind);
        Collection<?> elems = (Collection<?>) actual;
        assertThat(elems).as(path).hasSize(expected.size());
        Iterator<?> it = elems.iterator();
        for (int i = 0; i < expected.size(); i++) {
            assertMatches(expected.get(i), it.next(), types.apply(i), path + "[" + i + "]");
        }
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    // ---- errors: each names the attribute's path and what was wrong ----

    private static Map<String, Object> task(Object command) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", "alpine");
        m.put("command", command);
        return m;
    }

    @Test
    void wrongElementTypeNamesTheIndex() {
        CtyType liar = CtyType.object(Map.of("image", CtyType.STRING, "cpus", CtyType.NUMBER, "memory", CtyType.NUMBER,
                "command", CtyType.tuple(List.of(CtyType.STRING, CtyType.STRING, CtyType.NUMBER)),
                "publish", CtyType.list(CtyType.STRING), "mount", CtyType.list(CtyType.STRING)));
        byte[] bytes = CtyMsgpack.encode(task(List.of("sh", "-c", 3)), liar);
        assertThatThrownBy(() -> CtyMsgpack.decode(bytes, TASK, "task config"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("task config: command[2] must be a string (got msgpack integer)");
    }

    @Test
    void wrongTopLevelAndNestedTypes() {
        assertThatThrownBy(() -> CtyMsgpack.decode(CtyMsgpack.encode("x", CtyType.STRING), TASK, "task config"))
                .hasMessage("task config must be an object (got msgpack string)");
        CtyType nested = GoldenFixtures.named("nested").type();
        byte[] bytes = hex("82" + "a56f75746572" + "91" + "82" + "a46e616d65" + "c3" + "a4706f7274" + "01" + "a474616773" + "80");
        assertThatThrownBy(() -> CtyMsgpack.decode(bytes, nested, "config"))
                .hasMessage("config: outer[0].name must be a string (got msgpack bool)");
        byte[] mapBytes = hex("82" + "a56f75746572" + "90" + "a474616773" + "81" + "a1" + "6b" + "a178");
        assertThatThrownBy(() -> CtyMsgpack.decode(mapBytes, nested, "config"))
                .hasMessage("config: tags[\"k\"] must be a list of string (got msgpack string)");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("c3"), CtyType.NUMBER, "n"))
                .hasMessage("n must be a number (got msgpack bool)");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("a3616263"), CtyType.NUMBER, "n"))
                .hasMessage("n must be a number, not the string \"abc\"");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("a3316531"), CtyType.NUMBER, "n"))
                .hasMessage("n must be a number, not the string \"1e1\"");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("92a161a162"), CtyType.tuple(List.of(CtyType.STRING)), "t"))
                .hasMessage("t must be a tuple of 1 elements, not 2");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("c1"), CtyType.STRING, "s"))
                .hasMessage("s must be a string (got msgpack byte 0xc1, which msgpack never uses)");
    }

    @Test
    void objectsCarryExactlyTheirAttributes() {
        CtyType.ObjectOf plugin = PluginConfig.SPEC.type();
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("82a6736f636b6574c0a6736f636b6574c0"), plugin, "plugin config"))
                .hasMessage("plugin config has the attribute \"socket\" twice");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("81a3666f6fc0"), plugin, "plugin config"))
                .hasMessage("plugin config has an attribute \"foo\" that its schema does not declare (declared: socket)");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("80"), plugin, "plugin config"))
                .hasMessage("plugin config lacks the attribute \"socket\": the msgpack was not made from this plugin's schema");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("8101c0"), plugin, "plugin config"))
                .hasMessage("plugin config has a key that is not a string (got msgpack integer)");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("82a161c0a161c0"), CtyType.map(CtyType.STRING), "m"))
                .hasMessage("m has the key \"a\" twice");
    }

    @Test
    void everyCutOfAFixtureIsReportedAsMalformed() {
        byte[] full = GoldenFixtures.named("task_unicode").msgpack();
        for (int n = 1; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThatThrownBy(() -> CtyMsgpack.decode(cut, TASK, "task config"))
                    .as("cut at %d", n).isInstanceOf(ConfigException.class).hasMessageContaining("is not valid msgpack");
        }
        assertThatThrownBy(() -> CtyMsgpack.decode(Arrays.copyOf(full, 40), TASK, "task config"))
                .hasMessageStartingWith("task config: command[2] is not valid msgpack: the data ends at byte 40");
    }

    @Test
    void emptyTrailingAndInvalidText() {
        assertThatThrownBy(() -> CtyMsgpack.decode(new byte[0], TASK, "task config"))
                .hasMessage("task config is empty: Nomad sent no msgpack value");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("a16100"), CtyType.STRING, "s"))
                .hasMessage("s has 1 bytes after its msgpack value");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("91a2c328"), CtyType.list(CtyType.STRING), "l"))
                .hasMessage("l: [0] is not valid UTF-8");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("81a2c328a0"), CtyType.map(CtyType.STRING), "m"))
                .hasMessage("m key is not valid UTF-8");
    }

    @Test
    void limitsAreCheckedBeforeAnythingIsAllocated() {
        // An array32 announcing 4 billion elements and holding none.
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("ddffffffff"), CtyType.list(CtyType.STRING), "l"))
                .hasMessage("l has 4294967295 elements, more than the 4096 allowed");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("dfffffffff"), CtyType.map(CtyType.STRING), "m"))
                .hasMessage("m has 4294967295 entries, more than the 4096 allowed");
        // A str32 announcing 4 GiB.
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("dbffffffff"), CtyType.STRING, "s"))
                .hasMessage("s is a string of 4294967295 bytes, more than the 65536 allowed");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("db00001000"), CtyType.STRING, "s"))
                .hasMessageStartingWith("s is not valid msgpack: the data ends at byte 5, 4096 bytes short");
        CtyMsgpack.Limits small = new CtyMsgpack.Limits(64, 3, 2, 4, 5);
        assertThatThrownBy(() -> CtyMsgpack.decode(new byte[65], CtyType.STRING, "s", small))
                .hasMessage("s is 65 bytes of msgpack, more than the 64 a config may have");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("93010203"), CtyType.list(CtyType.NUMBER), "l", small))
                .hasMessage("l has 3 elements, more than the 2 allowed");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("a568656c6c6f"), CtyType.STRING, "s", small))
                .hasMessage("s is a string of 5 bytes, more than the 4 allowed");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("a6313233343536"), CtyType.NUMBER, "n", small))
                .hasMessage("n is a number of 6 digits, more than the 5 allowed");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("9191919191a0"), CtyType.list(CtyType.list(CtyType.list(
                CtyType.list(CtyType.list(CtyType.STRING))))), "l", small))
                .hasMessage("l: [0][0][0][0] nests deeper than 3 levels");
    }

    @Test
    void dynamicValuesCarryTheirType() {
        CtyType any = CtyType.DYNAMIC;
        assertThat(CtyMsgpack.decode(hex("92c40822737472696e6722a26869"), any, "v"))
                .isEqualTo(new CtyDynamic(CtyType.STRING, "hi"));
        // go-cty reads the type JSON from str as well as bin.
        assertThat(CtyMsgpack.decode(hex("92a822737472696e6722a26869"), any, "v"))
                .isEqualTo(new CtyDynamic(CtyType.STRING, "hi"));
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("92c4052273747222a26869"), any, "v"))
                .hasMessage("v has a type that cty cannot read: bad cty type JSON: no primitive type \"str\"");
        assertThatThrownBy(() -> CtyMsgpack.decode(hex("a26869"), any, "v"))
                .hasMessage("v must be a [type, value] array of a dynamic value (got msgpack string)");
    }

    @Test
    void anyExtensionIsUnknownAsInGoCty() {
        // cty 1.13+ writes refined unknowns as extension 0x0c with a map of refinements.
        assertThat(CtyMsgpack.decode(hex("c7030c8101c2"), CtyType.STRING, "s")).isSameAs(Unknown.VALUE);
        assertThat(CtyMsgpack.decode(hex("d40000"), CtyType.list(CtyType.STRING), "l")).isSameAs(Unknown.VALUE);
    }

    @Test
    void wholeNumbersPastInt64AreTextSinceGoCty1_14_4() {
        assertThat(CtyMsgpack.encode(new BigDecimal("9223372036854775808"), CtyType.NUMBER))
                .isEqualTo(hex("b339323233333732303336383534373735383038"));
        assertThat(CtyMsgpack.encode(new BigDecimal("1.5"), CtyType.NUMBER)).isEqualTo(hex("cb3ff8000000000000"));
        assertThat(CtyMsgpack.decode(hex("b339323233333732303336383534373735383038"), CtyType.NUMBER, "n"))
                .isEqualTo(new BigDecimal("9223372036854775808"));
    }

    @Test
    void numbersAreExactAndCanonical() {
        assertThat(CtyMsgpack.decode(hex("cfffffffffffffffff"), CtyType.NUMBER, "n")).isEqualTo(new BigDecimal("18446744073709551615"));
        assertThat(CtyMsgpack.decode(hex("ca3fc00000"), CtyType.NUMBER, "n")).isEqualTo(new BigDecimal("1.5"));
        assertThat(CtyMsgpack.decode(hex("a4322e3030"), CtyType.NUMBER, "n")).isEqualTo(new BigDecimal("2"));
        assertThat(CtyMsgpack.decode(hex("cb4059000000000000"), CtyType.NUMBER, "n")).isEqualTo(new BigDecimal("100"));
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }
}
