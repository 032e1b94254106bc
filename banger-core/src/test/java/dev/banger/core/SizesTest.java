package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
    private static final long G = 1024;
    private static final long T = 1024 * 1024;

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String text) {
        return assertThatThrownBy(() -> Sizes.parseMib("memory", text))
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageStartingWith("memory");
    }

    @Property
    void formatThenParseIsTheIdentity(@ForAll @LongRange(min = 0, max = Sizes.MAX_MIB) long mib) {
        assertThat(Sizes.parseMib("size", Sizes.formatMib(mib))).isEqualTo(mib);
    }

    @Property
    void formatUsesTheLargestExactUnit(@ForAll @LongRange(min = 1, max = Sizes.MAX_MIB) long mib) {
        String s = Sizes.formatMib(mib);
        if (mib % T == 0) {
            assertThat(s).isEqualTo(mib / T + "T");
        } else if (mib % G == 0) {
            assertThat(s).isEqualTo(mib / G + "G");
        } else {
            assertThat(s).isEqualTo(mib + "M");
        }
    }

    @Test
    void formatExamples() {
        assertThat(Sizes.formatMib(0)).isEqualTo("0M");
        assertThat(Sizes.formatMib(512)).isEqualTo("512M");
        assertThat(Sizes.formatMib(1536)).isEqualTo("1536M");
        assertThat(Sizes.formatMib(4096)).isEqualTo("4G");
        assertThat(Sizes.formatMib(T)).isEqualTo("1T");
        assertThat(Sizes.formatMib(16 * T)).isEqualTo("16T");
        assertThat(Sizes.formatMib(T + G)).isEqualTo("1025G");
    }

    @ParameterizedTest
    @CsvSource({
            "512, 512", "512M, 512", "512m, 512", "512MiB, 512", "512mib, 512", "512MB, 512",
            "2G, 2048", "2g, 2048", "2GiB, 2048", "2GB, 2048",
            "1T, 1048576", "1TiB, 1048576", "1tb, 1048576",
            "0, 0", "0G, 0", "'  4G  ', 4096", "007M, 7",
            "1024T, 1073741824"})
    void parsesUnits(String text, long expected) {
        assertThat(Sizes.parseMib("size", text)).isEqualTo(expected);
    }

    @Property
    void everyUnitScalesBy1024(@ForAll @LongRange(min = 0, max = 1024) long n) {
        assertThat(Sizes.parseMib("x", n + "M")).isEqualTo(n);
        assertThat(Sizes.parseMib("x", n + "MiB")).isEqualTo(n);
        assertThat(Sizes.parseMib("x", n + "G")).isEqualTo(n * G);
        assertThat(Sizes.parseMib("x", n + "GiB")).isEqualTo(n * G);
        assertThat(Sizes.parseMib("x", n + "T")).isEqualTo(n * T);
        assertThat(Sizes.parseMib("x", n + "TiB")).isEqualTo(n * T);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "\t"})
    void emptyIsRejected(String text) {
        assertRejected(text).hasMessageContaining("is empty");
    }

    @Property
    void negativeSizesAreRejected(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long n) {
        assertRejected("-" + n + "G").hasMessageContaining("is not a size");
    }

    @ParameterizedTest
    @ValueSource(strings = {"G", "MiB", "lots", "+4G", ".5G"})
    void textWithoutLeadingDigitsIsNotASize(String text) {
        assertRejected(text).hasMessageContaining("'" + text + "' is not a size")
                .hasMessageContaining("512M");
    }

    @ParameterizedTest
    @CsvSource({"4K, K", "4KB, KB", "4P, P", "4PiB, PiB", "4 G, ' G'", "4.5G, .5G", "4GiBs, GiBs", "4B, B", "4Gi, Gi", "0x10, x10"})
    void unknownUnitsAreRejectedNamingTheUnit(String text, String unit) {
        assertRejected(text).hasMessageContaining("unknown unit '" + unit + "'").hasMessageContaining("use M, G or T");
    }

    @Test
    void theUnitIsEchoedAsTyped() {
        assertRejected("4kib").hasMessageContaining("unknown unit 'kib'");
    }

    @Test
    void onePebibyteIsTheLimit() {
        assertThat(Sizes.parseMib("x", Sizes.MAX_MIB + "")).isEqualTo(Sizes.MAX_MIB);
        assertRejected((Sizes.MAX_MIB + 1) + "").hasMessageContaining("too large (limit 1P)");
        assertRejected("1025T").hasMessageContaining("too large (limit 1P)");
        assertRejected("1048577G").hasMessageContaining("too large (limit 1P)");
    }

    @Test
    void numbersBeyondALongAreTooLargeNotACrash() {
        assertRejected("99999999999999999999999").hasMessageContaining("is too large");
        assertRejected("9223372036854775807T").hasMessageContaining("is too large");
        assertRejected("9223372036854775808").hasMessageContaining("is too large");
    }

    @Property
    void overflowIsAlwaysRejected(@ForAll @LongRange(min = Sizes.MAX_MIB / 1024 + 1, max = Long.MAX_VALUE) long n) {
        assertRejected(n + "G").hasMessageContaining("too large");
    }

    @Test
    void onlyAsciiDigitsCount() {
        assertRejected("\uFF14G");
        assertRejected("\u0664G");
    }
}
