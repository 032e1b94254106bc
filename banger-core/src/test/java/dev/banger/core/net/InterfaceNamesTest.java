package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InterfaceNamesTest {
    private static final String ALLOWED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

    @ParameterizedTest
    @ValueSource(strings = {"banger0", "br-lan", "a", "bgr0123456789ab", "x_y.z", "ABC", "123456789012345", "help", "type"})
    void acceptsValidNames(String name) {
        assertThat(InterfaceNames.validate(name)).isEqualTo(name);
        assertThat(InterfaceNames.isValid(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1234567890123456", "bad name", "semi;colon", "slash/x", "quote\"", "tab\t", "-x", ".", "..",
            "ümlaut", "new\nline", "a:b", "a@b", "$(id)"})
    void rejectsInvalidNames(String name) {
        assertThatThrownBy(() -> InterfaceNames.validate(name)).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(InterfaceNames.isValid(name)).isFalse();
    }

    @Test
    void rejectsNull() {
        assertThat(InterfaceNames.isValid(null)).isFalse();
    }

    @Test
    void messagesSayTheRule() {
        assertThatThrownBy(() -> InterfaceNames.validate("averyveryverylongname")).hasMessageContaining("at most 15");
        assertThatThrownBy(() -> InterfaceNames.validate("a b")).hasMessageContaining("position 2");
    }

    @Provide
    Arbitrary<String> validNames() {
        return Arbitraries.strings().withChars(ALLOWED.toCharArray()).ofMinLength(1).ofMaxLength(15)
                .filter(s -> !s.startsWith("-") && !s.equals(".") && !s.equals(".."));
    }

    @Property
    void everyNameOfAllowedCharactersUpTo15IsValid(@ForAll("validNames") String name) {
        assertThat(InterfaceNames.isValid(name)).isTrue();
    }

    @Property
    void anyOtherCharacterMakesANameInvalid(@ForAll("validNames") String name, @ForAll char c) {
        if (ALLOWED.indexOf(c) >= 0) {
            return;
        }
        assertThat(InterfaceNames.isValid(name.substring(0, Math.min(name.length(), 14)) + c)).isFalse();
    }

    @Test
    void tapNamesAreFifteenCharactersFromTheVmId() {
        assertThat(InterfaceNames.tapFor("0123456789ab")).isEqualTo("bgr0123456789ab").hasSize(15);
        assertThat(InterfaceNames.isValid(InterfaceNames.tapFor("ffffffffffff"))).isTrue();
        assertThatThrownBy(() -> InterfaceNames.tapFor("../x")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> InterfaceNames.tapFor("0123456789abc")).isInstanceOf(BangerException.class);
    }
}
