package dev.banger.core.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class CopyRulesTest {
    @Test
    void oneSideIsTheVmTheOtherTheHost() {
        assertThat(CopyRules.plan("notes.txt", "demo:/root/")).isEqualTo(new CopyRules.Plan("demo", "/root/", "notes.txt", "in"));
        assertThat(CopyRules.plan("demo:/var/log", "./logs")).isEqualTo(new CopyRules.Plan("demo", "/var/log", "./logs", "out"));
        assertThat(CopyRules.plan("d257d58ff63c:/etc/hostname", "/tmp/h").vm()).isEqualTo("d257d58ff63c");
        assertThat(CopyRules.plan("f", "demo:/x").intoVm()).isTrue();
        assertThat(CopyRules.plan("demo:/x", "f").intoVm()).isFalse();
    }

    @Test
    void relativeGuestPathsStartAtRootsHome() {
        assertThat(CopyRules.plan("f", "demo:").guestPath()).isEqualTo("/root");
        assertThat(CopyRules.plan("f", "demo:notes/").guestPath()).isEqualTo("/root/notes/");
    }

    @Test
    void aHostPathWithAColonIsWrittenSoItCannotBeAVm() {
        assertThat(CopyRules.plan("./a:b", "demo:/x").hostPath()).isEqualTo("./a:b");
        assertThat(CopyRules.plan("/data/a:b", "demo:/x").hostPath()).isEqualTo("/data/a:b");
        assertThat(CopyRules.plan("Upper:case", "demo:/x").vm()).as("not a VM name: upper case").isEqualTo("demo");
    }

    @Test
    void refusalsSayWhatToWrite() {
        assertThatThrownBy(() -> CopyRules.plan("a", "b")).isInstanceOf(BangerException.class)
                .hasMessageContaining("one of SRC and DST must be in a VM, written NAME:PATH");
        assertThatThrownBy(() -> CopyRules.plan("one:/a", "two:/b")).hasMessageContaining("copy out of one first, then into two");
        assertThatThrownBy(() -> CopyRules.plan("", "demo:/x")).hasMessageContaining("needs a source and a destination");
        assertThatThrownBy(() -> CopyRules.plan("f", "demo:/a\0b")).hasMessageContaining("NUL");
        assertThatThrownBy(() -> CopyRules.plan("f", "demo:/" + "x".repeat(5000))).hasMessageContaining("at most 4096");
        assertThatThrownBy(() -> CopyRules.check("relative")).hasMessageContaining("must be absolute");
        assertThatThrownBy(() -> CopyRules.direction("sideways")).hasMessageContaining("\"in\" (host to VM) or \"out\"");
    }

    @Property
    void everyPlannedGuestPathPassesTheDaemonsCheck(@ForAll String path) {
        try {
            CopyRules.check(CopyRules.plan("f", "demo:" + path).guestPath());
        } catch (BangerException e) {
            assertThat(e.getMessage()).containsAnyOf("NUL", "at most 4096");
        }
    }
}
