package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageNamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"debian-bookworm", "ubuntu-24.04", "a", "0", "alpine_3.20", "x..y"})
    void validNames(String name) {
        assertThat(ImageNames.validate(name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {".hidden", "..", "-x", "_x", "Debian", "a/b", "a b"})
    void invalidCharacters(String name) {
        assertThatThrownBy(() -> ImageNames.validate(name)).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("image name '" + name + "' is not valid");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void badLength(String name) {
        assertThatThrownBy(() -> ImageNames.validate(name)).isInstanceOf(BangerException.class)
                .hasMessageContaining("1-63 characters");
    }
}
