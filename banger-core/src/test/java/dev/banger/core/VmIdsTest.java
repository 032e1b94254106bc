package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class VmIdsTest {
    @Property
    void generatedIdsAreTwelveLowercaseHexDigits(@ForAll long seed) {
        String id = VmIds.generate(new SplittableRandom(seed));
        assertThat(id).hasSize(VmIds.LENGTH).matches("[0-9a-f]{12}");
        assertThat(VmIds.looksLikeId(id)).isTrue();
    }

    @Test
    void idsDiffer() {
        SplittableRandom random = new SplittableRandom(42);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(VmIds.generate(random));
        }
        assertThat(ids).hasSize(10_000);
    }

    @Test
    void lengthIsTwelve() {
        assertThat(VmIds.LENGTH).isEqualTo(12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0123456789ab", "000000000000", "ffffffffffff", "a1b2c3d4e5f6"})
    void wellFormedIdsLookLikeIds(String s) {
        assertThat(VmIds.looksLikeId(s)).isTrue();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "0123456789a", "0123456789abc", "0123456789AB", "0123456789ag", "../x",
            "../../etc/pa", "0123456789a/", " 123456789ab", "brisk-otter1", "\u0660123456789ab"})
    void anythingElseDoesNot(String s) {
        assertThat(VmIds.looksLikeId(s)).isFalse();
    }
}
