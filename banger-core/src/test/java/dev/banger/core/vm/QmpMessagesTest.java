package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.vm.QmpMessages.Error;
import dev.banger.core.vm.QmpMessages.Event;
import dev.banger.core.vm.QmpMessages.Greeting;
import dev.banger.core.vm.QmpMessages.Return;
import dev.banger.core.vm.QmpMessages.Unknown;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class QmpMessagesTest {
    @Test
    void commandsAreOneLineOfJsonWithAnId() {
        assertThat(new String(QmpMessages.command(QmpMessages.QMP_CAPABILITIES, 1), StandardCharsets.UTF_8))
                .isEqualTo("{\"execute\":\"qmp_capabilities\",\"id\":1}\n");
        assertThat(new String(QmpMessages.command("system_powerdown", 7), StandardCharsets.UTF_8))
                .isEqualTo("{\"execute\":\"system_powerdown\",\"id\":7}\n");
        assertThat(QmpMessages.QUERY_STATUS).isEqualTo("query-status");
        assertThat(QmpMessages.QUIT).isEqualTo("quit");
    }

    @Test
    void greetingOfQemu72() {
        var m = QmpMessages.parse("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
                + "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}");
        assertThat(m).isEqualTo(new Greeting("7.2.22"));
        assertThat(QmpMessages.parse("{\"QMP\": {}}")).isEqualTo(new Greeting("unknown"));
    }

    @Test
    void returnsCarryTheirId() {
        var m = (Return) QmpMessages.parse("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": 3}");
        assertThat(m.id()).hasValue(3);
        assertThat(QmpMessages.status(m.value())).isEqualTo(new QmpMessages.Status("running", true));
        var empty = (Return) QmpMessages.parse("{\"return\": {}}");
        assertThat(empty.id()).isEmpty();
        assertThat(QmpMessages.status(empty.value())).isEqualTo(new QmpMessages.Status("unknown", false));
    }

    @Test
    void nonIntegerIdsAreNoIds() {
        assertThat(((Return) QmpMessages.parse("{\"return\": {}, \"id\": \"x\"}")).id()).isEmpty();
        assertThat(((Return) QmpMessages.parse("{\"return\": {}, \"id\": 1.5}")).id()).isEmpty();
        assertThat(((Return) QmpMessages.parse("{\"return\": {}, \"id\": 1e400}")).id()).isEmpty();
    }

    @Test
    void errorsCarryClassAndDescription() {
        assertThat(QmpMessages.parse("{\"id\": 2, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}"))
                .isEqualTo(new Error(OptionalLong.of(2), "CommandNotFound", "The command nope has not been found"));
        assertThat(QmpMessages.parse("{\"error\": {}}")).isEqualTo(new Error(OptionalLong.empty(), "GenericError", "(no description)"));
    }

    @Test
    void events() {
        var e = (Event) QmpMessages.parse("{\"timestamp\": {\"seconds\": 1795970113, \"microseconds\": 979797}, \"event\": \"SHUTDOWN\", "
                + "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}");
        assertThat(e.name()).isEqualTo(QmpMessages.EVENT_SHUTDOWN);
        assertThat(e.byGuest()).isTrue();
        assertThat(e.shutdownReason()).hasValue("guest-shutdown");
        var p = (Event) QmpMessages.parse("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"POWERDOWN\"}");
        assertThat(p.name()).isEqualTo(QmpMessages.EVENT_POWERDOWN);
        assertThat(p.byGuest()).isFalse();
        assertThat(p.shutdownReason()).isEmpty();
        var odd = (Event) QmpMessages.parse("{\"event\": \"SHUTDOWN\", \"data\": [1, 2]}");
        assertThat(odd.shutdownReason()).isEmpty();
    }

    @Test
    void unknownFieldsAreIgnoredAndUnknownShapesKept() {
        assertThat(QmpMessages.parse("{\"return\": {}, \"id\": 4, \"future-field\": [1, {\"x\": null}]}")).isInstanceOf(Return.class);
        assertThat(QmpMessages.parse("{\"something\": \"new\"}")).isEqualTo(new Unknown("{\"something\":\"new\"}"));
        assertThat(QmpMessages.parse("{\"event\": 42}")).isInstanceOf(Unknown.class);
    }

    @Test
    void textFromQemuIsMadeSafeAndShort() {
        var e = (Error) QmpMessages.parse("{\"error\": {\"class\": \"X\\u001b[31m\", \"desc\": \"" + "a".repeat(10_000) + "\\n\"}}");
        assertThat(e.errorClass()).isEqualTo("X?[31m");
        assertThat(e.description()).hasSize(503).endsWith("...");
    }

    @Test
    void notJsonOrNotAnObjectIsAnError() {
        for (String bad : new String[] {"", "not json", "[1,2]", "\"text\"", "{\"return\": ", "{}{"}) {
            assertThatThrownBy(() -> QmpMessages.parse(bad)).as(bad).isInstanceOf(BangerException.class).hasMessageContaining("QMP line");
        }
    }

    @Test
    void deepNestingAndHugeLinesAreRefused() {
        String deep = "{\"return\": " + "[".repeat(1000) + "]".repeat(1000) + "}";
        assertThatThrownBy(() -> QmpMessages.parse(deep)).isInstanceOf(BangerException.class);
        byte[] huge = new byte[QmpMessages.MAX_LINE_BYTES + 1];
        assertThatThrownBy(() -> QmpMessages.parse(huge)).isInstanceOf(BangerException.class).hasMessageContaining("limit");
    }

    @Property(tries = 300)
    void arbitraryTextNeverEscapesAsAnythingButBangerException(@ForAll String s) {
        try {
            QmpMessages.parse(s);
        } catch (BangerException expected) {
            // the only allowed failure
        }
    }

    @Test
    void commandsCarryStringArgumentsEscaped() {
        String line = new String(QmpMessages.command(QmpMessages.MIGRATE, java.util.Map.of("uri", "unix:/tmp/a \"b\".sock"), 9),
                StandardCharsets.UTF_8);
        assertThat(line).isEqualTo("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:/tmp/a \\\"b\\\".sock\"},\"id\":9}\n");
        assertThat(new String(QmpMessages.command(QmpMessages.STOP, 1), StandardCharsets.UTF_8)).doesNotContain("arguments");
    }

    @Test
    void migrationProgressIsReadWithItsReason() {
        Return done = (Return) QmpMessages.parse("{\"return\":{\"status\":\"completed\",\"total-time\":12},\"id\":3}");
        assertThat(QmpMessages.migration(done.value())).isEqualTo(new QmpMessages.Migration("completed", ""));
        assertThat(QmpMessages.migration(done.value()).done()).isTrue();
        Return failed = (Return) QmpMessages.parse("{\"return\":{\"status\":\"failed\",\"error-desc\":\"Unable to write\\n\"},\"id\":4}");
        assertThat(QmpMessages.migration(failed.value())).isEqualTo(new QmpMessages.Migration("failed", "Unable to write?"));
        Return none = (Return) QmpMessages.parse("{\"return\":{},\"id\":5}");
        assertThat(QmpMessages.migration(none.value()).status()).isEqualTo("none");
        assertThat(QmpMessages.migration(none.value()).done()).isFalse();
    }
}
