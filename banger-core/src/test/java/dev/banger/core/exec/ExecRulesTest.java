package dev.banger.core.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What vm exec, its terminal and its detached processes accept before anything reaches a guest. */
class ExecRulesTest {
    @Test
    void aTerminalHasASizeWithinBoundsDefaulting24By80() {
        ExecRules.Command plain = ExecRules.check(List.of("sh"), null, null, null, true, null, null, null, null);
        assertThat(plain.tty()).isTrue();
        assertThat(plain.rows()).isEqualTo(24);
        assertThat(plain.cols()).isEqualTo(80);
        ExecRules.Command sized = ExecRules.check(List.of("sh"), null, null, null, true, 50, 200, null, null);
        assertThat(sized.rows()).isEqualTo(50);
        assertThat(sized.cols()).isEqualTo(200);
        assertThatThrownBy(() -> ExecRules.check(List.of("sh"), null, null, null, true, 0, 80, null, null))
                .isInstanceOf(BangerException.class).hasMessageContaining("terminal size 0x80 is out of range");
        assertThatThrownBy(() -> ExecRules.check(List.of("sh"), null, null, null, true, 24, 10_001, null, null))
                .hasMessageContaining("1 to 10000 rows and columns");
    }

    @Test
    void aDetachedCommandHasNoTerminalIsKeptAndHasStdinOnlyWhenAsked() {
        ExecRules.Command c = ExecRules.checkDetached(List.of("sleep", "60"), Map.of("A", "1"), "/work", "1000", null);
        assertThat(c.tty()).isFalse();
        assertThat(c.keep()).isTrue();
        assertThat(c.stdin()).as("no -i: /dev/null, nothing held open for nobody").isFalse();
        assertThat(c.env()).containsEntry("A", "1");
        assertThat(ExecRules.checkDetached(List.of("cat"), null, null, null, true).stdin()).isTrue();
        assertThatThrownBy(() -> ExecRules.checkDetached(List.of(), null, null, null, null))
                .hasMessageContaining("no command");
        assertThatThrownBy(() -> ExecRules.checkDetached(List.of("x"), null, "relative", null, null))
                .hasMessageContaining("must be an absolute path");
    }

    @Test
    void processIdsAreTheAgentsEightHexDigits() {
        assertThat(ExecRules.processId("0badc0de")).isEqualTo("0badc0de");
        for (String bad : new String[] {"0BADC0DE", "0badc0d", "0badc0de0", "../../etc", "1234567g", " 0badc0de"}) {
            assertThatThrownBy(() -> ExecRules.processId(bad)).as(bad).isInstanceOf(BangerException.class)
                    .hasMessageContaining("is not a detached process's id")
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThatThrownBy(() -> ExecRules.processId(null)).hasMessageContaining("no process id");
        assertThatThrownBy(() -> ExecRules.processId("\u001b[2J")).hasMessageNotContaining("\u001b");
    }

    @Test
    void signalsByNameWithOrWithoutSigOrByNumber() {
        assertThat(ExecRules.signal(null)).isEqualTo(new ExecRules.Signal("KILL", 9));
        assertThat(ExecRules.signal("")).isEqualTo(new ExecRules.Signal("KILL", 9));
        assertThat(ExecRules.signal("TERM")).isEqualTo(new ExecRules.Signal("TERM", 15));
        assertThat(ExecRules.signal("sigterm")).isEqualTo(new ExecRules.Signal("TERM", 15));
        assertThat(ExecRules.signal("15")).isEqualTo(new ExecRules.Signal("TERM", 15));
        assertThat(ExecRules.signal("hup")).isEqualTo(new ExecRules.Signal("HUP", 1));
        assertThat(ExecRules.signal("INT")).isEqualTo(new ExecRules.Signal("INT", 2));
        assertThat(ExecRules.signal("USR1")).isEqualTo(new ExecRules.Signal("USR1", 10));
        assertThat(ExecRules.signal("WINCH")).isEqualTo(new ExecRules.Signal("WINCH", 28));
        assertThat(ExecRules.signal("31")).isEqualTo(new ExecRules.Signal("SYS", 31));
        for (String bad : new String[] {"0", "32", "64", "-9", "RTMIN", "SIG", "TERM ", "999999999999", "KIL"}) {
            assertThatThrownBy(() -> ExecRules.signal(bad)).as(bad).isInstanceOf(BangerException.class)
                    .hasMessageContaining("is not a signal");
        }
    }
}
