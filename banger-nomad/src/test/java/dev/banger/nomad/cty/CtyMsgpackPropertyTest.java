package dev.banger.nomad.cty;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class CtyMsgpackPropertyTest {

    private static final CtyType TASK = TaskConfig.SPEC.type();

    /** Any task config value encodes and decodes back to itself, and re-encodes to the same bytes. */
    @Property(tries = 300)
    void taskConfigsRoundTrip(@ForAll("taskValues") Map<String, Object> value) {
        byte[] bytes = CtyMsgpack.encode(value, TASK);
        Object back = CtyMsgpack.decode(bytes, TASK, "task config");
        assertThat(back).isEqualTo(value);
        assertThat(CtyMsgpack.encode(back, TASK)).isEqualTo(bytes);
    }

    /** Whatever bytes arrive, the decoder answers with a value or a ConfigException, never anything else. */
    @Property(tries = 2000)
    void arbitraryBytesFailCleanly(@ForAll("mutatedFixtures") byte[] bytes) {
        try {
            CtyMsgpack.decode(bytes, TASK, "task config");
        } catch (ConfigException expected) {
            assertThat(expected.getMessage()).startsWith("task config");
        }
    }

    @Provide
    Arbitrary<byte[]> mutatedFixtures() {
        byte[] base = GoldenFixtures.named("task_full").msgpack();
        return Combinators.combine(Arbitraries.integers().between(0, base.length - 1), Arbitraries.integers().between(0, 255),
                Arbitraries.integers().between(1, base.length)).as((at, b, len) -> {
                    byte[] copy = Arrays.copyOf(base, len);
                    if (at < len) {
                        copy[at] = (byte) (int) b;
                    }
                    return copy;
                });
    }

    @Provide
    Arbitrary<Map<String, Object>> taskValues() {
        Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(300)
                .filter(s -> s.codePoints().noneMatch(c -> c >= 0xd800 && c <= 0xdfff)); // lone surrogates: not UTF-8
        Arbitrary<Object> number = Arbitraries.oneOf(
                Arbitraries.longs().map(BigDecimal::valueOf),
                Arbitraries.doubles().map(BigDecimal::new),
                Arbitraries.bigIntegers().between(BigInteger.TEN.pow(30).negate(), BigInteger.TEN.pow(30))
                        .map(i -> new BigDecimal(i, 7)),
                Arbitraries.just(Unknown.VALUE)).map(n -> n instanceof BigDecimal b ? CtyMsgpack.canonical(b) : n);
        Arbitrary<Object> list = Arbitraries.oneOf(text.map(s -> (Object) s), Arbitraries.just(Unknown.VALUE))
                .list().ofMaxSize(20).map(l -> (Object) List.copyOf(l));
        Arbitrary<Object> nullableText = Arbitraries.oneOf(text.map(s -> (Object) s), Arbitraries.just(null));
        return Combinators.combine(nullableText, number.injectNull(0.2), number.injectNull(0.2),
                list.injectNull(0.2), list.injectNull(0.2), list.injectNull(0.2)).as((image, cpus, memory, command, publish, mount) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("command", command);
                    m.put("cpus", cpus);
                    m.put("image", image);
                    m.put("memory", memory);
                    m.put("mount", mount);
                    m.put("publish", publish);
                    return m;
                });
    }
}
