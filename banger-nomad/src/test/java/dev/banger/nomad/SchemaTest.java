package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The plugin's schemas pass the harness's checks, and the checks catch what Nomad would refuse. */
class SchemaTest {
    @Test
    void schemasAreWellFormed() {
        SpecChecks.check(PluginConfig.SCHEMA);
        SpecChecks.check(BangerDriver.TASK_CONFIG_SCHEMA);
    }

    @Test
    void checksCatchMalformedSpecs() {
        assertThatThrownBy(() -> SpecChecks.check(Spec.getDefaultInstance())).hasMessageContaining("no spec type");
        assertThatThrownBy(() -> SpecChecks.check(Specs.object(Specs.attr("a", "strin", false))))
                .hasMessageContaining("strin");
        assertThatThrownBy(() -> SpecChecks.check(Specs.object(Specs.attr("", "string", false))))
                .hasMessageContaining("empty key");
    }

    @Test
    void ctyTypeExpressions() {
        for (String ok : new String[] {"string", "list(string)", "map( number )", "set(list(bool))", "any",
                "object({a = string, b = list(number)})", "tuple([string, number])", "object({})"}) {
            CtyTypes.check(ok);
        }
        for (String bad : new String[] {"", "str", "list(string", "list()", "map(string))", "object({a})",
                "tuple(string)"}) {
            assertThatThrownBy(() -> CtyTypes.check(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void pluginConfigResolvesBangerdsSocket() {
        assertThat(PluginConfig.DEFAULTS.daemonSocket()).isEqualTo(Path.of("/run/banger/bangerd.sock"));
        assertThat(new PluginConfig(null, "/srv/banger").daemonSocket()).isEqualTo(Path.of("/srv/banger/run/bangerd.sock"));
        assertThat(new PluginConfig("/x.sock", "/srv/banger").daemonSocket()).isEqualTo(Path.of("/x.sock"));
        assertThat(PluginConfig.fromMsgpack(new byte[0])).isEqualTo(PluginConfig.DEFAULTS);
        assertThatThrownBy(() -> PluginConfig.fromMsgpack(new byte[] {(byte) 0x80}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cty decoder");
    }
}
