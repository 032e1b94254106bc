package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class TaskNamesTest {
    private static final String BANGER_NAME = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

    @Test
    void aNomadTaskIdGivesAReadableUniqueName() {
        String id = "f6f0e9c4-1b2d-4f3a-9c6e-0123456789ab/web server/1a2b3c4d";
        String name = TaskNames.vmName(id);
        assertThat(name).startsWith("nomad-web-server-").matches(BANGER_NAME).hasSize("nomad-web-server-".length() + 16);
        assertThat(TaskNames.vmName(id)).isEqualTo(name); // derived, never remembered
        assertThat(TaskNames.vmName(id.replace("1a2b3c4d", "1a2b3c4e"))).isNotEqualTo(name);
        assertThat(TaskNames.nameFromId(id)).isEqualTo("web server");
    }

    @Test
    void oddTaskNamesStillMakeValidNames() {
        assertThat(TaskNames.vmName("a/---/b")).matches("nomad-[0-9a-f]{16}");
        assertThat(TaskNames.vmName("a/ÜBER_Task!!/b")).startsWith("nomad-ber-task-").matches(BANGER_NAME);
        assertThat(TaskNames.vmName("a/" + "x".repeat(200) + "/b")).matches(BANGER_NAME).hasSizeLessThanOrEqualTo(63);
        assertThat(TaskNames.label("-a--b-")).isEqualTo("a-b");
        assertThatThrownBy(() -> TaskNames.vmName("")).hasMessageContaining("no id");
        assertThat(TaskNames.isTaskVm("nomad-server")).isFalse();
        assertThat(TaskNames.isTaskVm("nomad-0123456789abcdef")).isTrue();
    }

    @Property
    void everyIdGivesABangerName(@ForAll String id) {
        if (id.isEmpty()) {
            return;
        }
        assertThat(TaskNames.vmName(id)).matches(BANGER_NAME).doesNotMatch("[0-9a-f]{12}");
        assertThat(TaskNames.isTaskVm(TaskNames.vmName(id))).isTrue();
    }
}
