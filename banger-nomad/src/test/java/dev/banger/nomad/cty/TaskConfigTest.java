package dev.banger.nomad.cty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskConfigTest {

    private static TaskConfig fixture(String name) {
        return TaskConfig.decode(GoldenFixtures.named(name).msgpack());
    }

    @Test
    void fullConfigFromGoCtyBytes() {
        assertThat(fixture("task_full")).isEqualTo(new TaskConfig("debian-12", 2, 1024, List.of("sh", "-c", "echo hello"),
                List.of("8080:80", "127.0.0.1:5432:5432/tcp"), List.of("/src:/work:ro")));
    }

    @Test
    void leftOutAttributesAreNullOrEmpty() {
        assertThat(fixture("task_minimal")).isEqualTo(new TaskConfig("alpine", null, null, List.of(), List.of(), List.of()));
        assertThat(fixture("task_empty_lists")).isEqualTo(new TaskConfig("alpine", 1, 128, List.of(), List.of(), List.of()));
        assertThat(fixture("task_unicode").image()).isEqualTo("ünïcødé-😀");
    }

    @Test
    void messagesSayWhatToFixInTheJobFile() {
        assertThatThrownBy(() -> fixture("task_fractional"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config.cpus must be a whole number of vCPUs from 1 to 32, not 1.5");
        assertThatThrownBy(() -> fixture("task_negative"))
                .hasMessage("config.cpus must be a whole number of vCPUs from 1 to 32, not -1");
        assertThatThrownBy(() -> fixture("task_big"))
                .hasMessage("config.cpus must be a whole number of vCPUs from 1 to 32, not 9223372036854775808");
        assertThatThrownBy(() -> fixture("task_unknown_cpus"))
                .hasMessage("config.cpus is not known yet (Nomad sent an unknown value); give it a value in the job file");
        assertThatThrownBy(() -> TaskConfig.from(attrs("memory", new BigDecimal("0.1"))))
                .hasMessage("config.memory must be a whole number of MiB from 128 to 1048576, not 0.1");
        assertThatThrownBy(() -> TaskConfig.from(attrs("memory", new BigDecimal("64"))))
                .hasMessage("config.memory must be a whole number of MiB from 128 to 1048576, not 64");
        assertThatThrownBy(() -> TaskConfig.from(attrs("image", "")))
                .hasMessage("config.image must not be empty");
        assertThatThrownBy(() -> TaskConfig.from(attrs("command", Arrays.asList("sh", null))))
                .hasMessage("config.command[1] is null; remove it or give it a value");
        assertThatThrownBy(() -> TaskConfig.from(attrs("publish", List.of(""))))
                .hasMessage("config.publish[0] must not be empty");
        assertThatThrownBy(() -> TaskConfig.from(attrs("mount", List.of("a\0b"))))
                .hasMessage("config.mount[0] must not contain a NUL character");
    }

    @Test
    void wholeNumbersMayArriveWithAFractionOfZero() {
        assertThat(TaskConfig.from(attrs("memory", new BigDecimal("256.000"))).memoryMib()).isEqualTo(256);
    }

    @Test
    void encodedConfigDecodesToTheSameRecord() {
        Map<String, Object> a = attrs("cpus", BigDecimal.valueOf(4));
        a.put("command", List.of("uname", "-a"));
        assertThat(TaskConfig.decode(CtyMsgpack.encode(a, TaskConfig.SPEC.type())))
                .isEqualTo(new TaskConfig("alpine", 4, null, List.of("uname", "-a"), List.of(), List.of()));
    }

    @Test
    void specGivesTheHclspecAttributes() {
        List<String> attrs = new ArrayList<>();
        for (ConfigSpec.Attr a : TaskConfig.SPEC.attrs()) {
            attrs.add(a.name() + " " + a.typeExpression() + (a.required() ? " required" : ""));
        }
        assertThat(attrs).containsExactly("image string", "cpus number", "memory number", "command list(string)",
                "publish list(string)", "mount list(string)");
        assertThat(GoldenFixtures.named("nested").type().typeExpression())
                .isEqualTo("object({outer=list(object({name=string,port=number})),tags=map(list(string))})");
        assertThat(CtyType.tuple(List.of(CtyType.STRING, CtyType.DYNAMIC)).typeExpression()).isEqualTo("tuple([string,any])");
        // The type Nomad encodes the task config with is the one the fixtures were made with.
        assertThat(TaskConfig.SPEC.type()).isEqualTo(GoldenFixtures.named("task_full").type());
        assertThat(PluginConfig.SPEC.type()).isEqualTo(GoldenFixtures.named("plugin_socket").type());
    }

    @Test
    void pluginConfig() {
        assertThat(PluginConfig.decode(GoldenFixtures.named("plugin_socket").msgpack()))
                .isEqualTo(new PluginConfig("/run/banger/bangerd.sock"));
        assertThat(PluginConfig.decode(GoldenFixtures.named("plugin_socket_null").msgpack())).isEqualTo(new PluginConfig(null));
        assertThat(PluginConfig.decode(new byte[0])).isEqualTo(new PluginConfig(null));
        assertThatThrownBy(() -> PluginConfig.decode(CtyMsgpack.encode(Map.of("socket", "bangerd.sock"), PluginConfig.SPEC.type())))
                .hasMessage("plugin config: socket must be the absolute path of bangerd's socket (such as /run/banger/bangerd.sock), "
                        + "not \"bangerd.sock\"");
        assertThatThrownBy(() -> PluginConfig.decode(CtyMsgpack.encode(Map.of("socket", "/" + "s".repeat(107)), PluginConfig.SPEC.type())))
                .hasMessageStartingWith("plugin config: socket is longer than the 107 bytes a Unix socket path may have");
        assertThatThrownBy(() -> PluginConfig.decode(GoldenFixtures.named("task_full").msgpack()))
                .hasMessageStartingWith("plugin config has an attribute \"command\" that its schema does not declare");
    }

    private static Map<String, Object> attrs(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (ConfigSpec.Attr a : TaskConfig.SPEC.attrs()) {
            m.put(a.name(), null);
        }
        m.put("image", "alpine");
        m.put(name, value);
        return m;
    }
}
