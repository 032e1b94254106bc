package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class VmNamesTest {
    private static final String LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-";

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(String name) {
        return assertThatThrownBy(() -> VmNames.validate(name))
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Provide
    Arbitrary<String> validLabels() {
        Arbitrary<Character> alnum = Arbitraries.chars().range('a', 'z').range('0', '9');
        Arbitrary<String> middle = Arbitraries.strings().withChars(LABEL_CHARS.toCharArray()).ofMaxLength(VmNames.MAX_LENGTH - 2);
        Arbitrary<String> longer = Combinators.combine(alnum, middle, alnum).as((a, m, b) -> a + m + b);
        return Arbitraries.oneOf(alnum.map(String::valueOf), longer);
    }

    @Property
    void everyDnsLabelIsAccepted(@ForAll("validLabels") String name) {
        assertThat(name.length()).isBetween(1, 63);
        assertThat(VmNames.validate(name)).isEqualTo(name);
        assertThat(VmNames.isValid(name)).isTrue();
    }

    @Property
    void namesLongerThan63AreRejectedForTheirLength(@ForAll("tooLong") String name) {
        assertInvalid(name)
                .hasMessageContaining(name.length() + " characters long")
                .hasMessageContaining("at most 63 characters");
        assertThat(VmNames.isValid(name)).isFalse();
    }

    @Provide
    Arbitrary<String> tooLong() {
        // Valid characters only, so length is the only broken rule.
        return Arbitraries.strings().withChars("abcxyz019".toCharArray()).ofMinLength(64).ofMaxLength(500);
    }

    @Provide
    Arbitrary<Character> forbiddenChars() {
        return Arbitraries.chars().all().filter(c -> !allowed(c));
    }

    @Property
    void aForbiddenCharacterIsRejectedNamingItsPosition(@ForAll("validLabels") String label,
                                                         @ForAll("forbiddenChars") char bad,
                                                         @ForAll @IntRange(min = 0, max = 62) int where) {
        String base = label.length() > 62 ? label.substring(0, 62) : label;
        int pos = Math.min(where, base.length());
        String name = base.substring(0, pos) + bad + base.substring(pos);
        assertInvalid(name)
                .hasMessageContaining("at position " + (pos + 1))
                .hasMessageContaining("only lowercase letters a-z, digits 0-9 and '-' are allowed");
        assertThat(VmNames.isValid(name)).isFalse();
    }

    @Property
    void aLeadingOrTrailingDashIsRejected(@ForAll("validLabels") String label, @ForAll boolean leading) {
        String base = label.length() > 62 ? label.substring(0, 62) : label;
        String name = leading ? "-" + base : base + "-";
        assertInvalid(name).hasMessageContaining("starts or ends with '-'");
    }

    @Test
    void dashAloneIsRejectedForTheDashRule() {
        assertInvalid("-").hasMessageContaining("starts or ends with '-'");
        assertInvalid("--").hasMessageContaining("starts or ends with '-'");
    }

    @Test
    void innerDashesAreFine() {
        assertThat(VmNames.validate("a--b")).isEqualTo("a--b");
        assertThat(VmNames.validate("0")).isEqualTo("0");
        assertThat(VmNames.validate("a".repeat(63))).hasSize(63);
    }

    @Test
    void newNamesNeverHaveTheShapeOfAnId() {
        assertThatThrownBy(() -> VmNames.validateNew("0123456789ab")).isInstanceOf(BangerException.class)
                .hasMessageContaining("shape of a VM id").hasMessageContaining("choose another name");
        assertThat(VmNames.validate("0123456789ab")).as("an existing VM keeps its name").isEqualTo("0123456789ab");
        assertThat(VmNames.validateNew("0123456789ag")).isEqualTo("0123456789ag");
        assertThat(VmNames.validateNew("0123456789abc")).as("13 digits are not an id").isEqualTo("0123456789abc");
        assertThat(VmNames.validateNew("demo")).isEqualTo("demo");
    }

    @Property
    void aNameAcceptedForANewVmIsNeverAnId(@ForAll("labels") String name) {
        if (VmNames.isValid(name) && !VmIds.looksLikeId(name)) {
            assertThat(VmNames.validateNew(name)).isEqualTo(name);
        } else {
            assertThatThrownBy(() -> VmNames.validateNew(name)).isInstanceOf(BangerException.class);
        }
    }

    @Provide
    Arbitrary<String> labels() {
        return Arbitraries.oneOf(Arbitraries.strings().withChars("0123456789abcdef").ofMinLength(10).ofMaxLength(14),
                Arbitraries.strings().withChars("0123456789abcdefgz-").ofMinLength(1).ofMaxLength(14));
    }

    @Test
    void emptyAndNullAreRejectedAsEmpty() {
        assertInvalid("").hasMessageContaining("VM name is empty");
        assertInvalid(null).hasMessageContaining("VM name is empty");
    }

    @Test
    void uppercaseGetsALowercaseHintWhenThatWouldBeValid() {
        assertInvalid("MyVm").hasMessageContaining("'M' at position 1").hasMessageContaining("(try 'myvm')");
        // Lowercasing does not fix "My_Vm", so no hint.
        assertInvalid("My_Vm").hasMessageNotContaining("try '");
    }

    @Test
    void whitespaceAndControlCharactersAreDescribedReadably() {
        assertInvalid("a b").hasMessageContaining("contains whitespace at position 2");
        assertInvalid("a\u0001b").hasMessageContaining("control character U+0001 at position 2")
                .hasMessageContaining("'a?b'");
        assertInvalid("my.vm").hasMessageContaining("contains '.' at position 3");
    }

    @Test
    void lengthIsCheckedBeforeCharactersAndTheEchoIsAbbreviated() {
        String name = "A".repeat(100);
        assertInvalid(name).hasMessageContaining("100 characters long").hasMessageContaining("...")
                .hasMessageNotContaining(name);
    }

    @Property
    void generatedNamesAreAlwaysValid(@ForAll long seed) {
        String name = VmNames.generate(new SplittableRandom(seed));
        assertThat(VmNames.isValid(name)).as(name).isTrue();
        assertThat(name).matches("[a-z]+-[a-z]+-[0-9a-f]{4}");
    }

    @Property(tries = 100)
    void generationIsDeterministicForASeed(@ForAll long seed) {
        assertThat(VmNames.generate(new SplittableRandom(seed))).isEqualTo(VmNames.generate(new SplittableRandom(seed)));
    }
}
