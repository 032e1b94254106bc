package dev.banger.core.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TaskRulesTest {
    @Test
    void namesDefaultAndFollowTheRule() {
        assertThat(TaskRules.name(null)).isEqualTo("main");
        assertThat(TaskRules.name("web.1_a-b")).isEqualTo("web.1_a-b");
        assertThat(TaskRules.tag("main")).isEqualTo("banger.task/main");
        for (String bad : new String[] {"-x", "A", "a b", "a/b", "x".repeat(64)}) {
            assertThatThrownBy(() -> TaskRules.name(bad)).as(bad).isInstanceOf(BangerException.class).hasMessageContaining("not valid");
        }
    }

    @Test
    void waitsAndOffsetsAreBounded() {
        assertThat(TaskRules.waitMillis(null)).isEqualTo(60_000);
        assertThat(TaskRules.waitMillis(0L)).isZero();
        assertThatThrownBy(() -> TaskRules.waitMillis(600_001L)).hasMessageContaining("600000");
        assertThatThrownBy(() -> TaskRules.waitMillis(-1L)).isInstanceOf(BangerException.class);
        assertThat(TaskRules.offset(null, "stdout_offset")).isZero();
        assertThatThrownBy(() -> TaskRules.offset(-1L, "stdout_offset")).hasMessageContaining("stdout_offset");
    }

    @Test
    void aGuestsExitIsAnExitOnlyWithinRange() {
        assertThat(TaskRules.validExit(0)).isTrue();
        assertThat(TaskRules.validExit(255)).isTrue();
        assertThat(TaskRules.validExit(256)).isFalse();
        assertThat(TaskRules.validExit(-1)).isFalse();
        assertThat(TaskRules.observe(true, "0badc0de", 3, true, null, 0)).isEqualTo(new TaskRules.Observation.Running("0badc0de", 3));
        assertThat(TaskRules.observe(true, "0badc0de", 3, false, 7, 0)).isEqualTo(new TaskRules.Observation.Exited(7, 0));
        assertThat(TaskRules.observe(true, "0badc0de", 3, false, 137, 9)).as("killed").isEqualTo(new TaskRules.Observation.Exited(137, 9));
        assertThat(TaskRules.observe(true, "0badc0de", 3, false, 300, 0)).isInstanceOf(TaskRules.Observation.Gone.class);
        assertThat(TaskRules.observe(true, "0badc0de", 3, false, null, 0)).isInstanceOf(TaskRules.Observation.Gone.class);
        assertThat(TaskRules.observe(false, null, 0, false, null, 0)).isInstanceOf(TaskRules.Observation.Gone.class);
    }

    @Test
    void outputBeforeTheOffsetIsDroppedAndAGapIsReported() {
        TaskOutput o = new TaskOutput(5);
        assertThat(o.chunk(3)).isEqualTo(new TaskOutput.Slice(0, 0, -1));
        assertThat(o.chunk(4)).isEqualTo(new TaskOutput.Slice(2, 2, -1)); // bytes 5 and 6: where the client stands, no jump
        assertThat(o.chunk(4)).isEqualTo(new TaskOutput.Slice(0, 4, -1));
        assertThat(o.position()).isEqualTo(11);

        TaskOutput gap = new TaskOutput(10);
        gap.dropped(100); // the agent kept nothing before byte 100
        assertThat(gap.chunk(8)).isEqualTo(new TaskOutput.Slice(0, 8, 100));
        assertThat(gap.chunk(8)).isEqualTo(new TaskOutput.Slice(0, 8, -1));
        gap.dropped(50); // a slow reader fell behind
        assertThat(gap.chunk(1)).isEqualTo(new TaskOutput.Slice(0, 1, 166));

        TaskOutput all = new TaskOutput(0);
        assertThat(all.chunk(2)).isEqualTo(new TaskOutput.Slice(0, 2, -1));
    }

    @Test
    void theAgentsDropNoticeIsRead() {
        byte[] notice = "4096 bytes of its stderr were dropped before they could be read (the agent keeps the last 256 KiB)".getBytes(StandardCharsets.UTF_8);
        assertThat(TaskOutput.dropped(notice)).isEqualTo(new TaskOutput.Dropped(false, 4096));
        assertThat(TaskOutput.dropped("12 bytes of its stdout were dropped".getBytes(StandardCharsets.UTF_8))).isEqualTo(new TaskOutput.Dropped(true, 12));
        assertThat(TaskOutput.dropped("hello".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(TaskOutput.dropped("99999999999999999999 bytes of its stdout were dropped".getBytes(StandardCharsets.UTF_8))).isNull();
    }
}
