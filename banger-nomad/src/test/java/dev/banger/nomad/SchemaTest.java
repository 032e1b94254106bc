package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hashicorp.nomad.plugins.shared.hclspec.HclSpec.Spec;
import dev.banger.nomad.cty.CtyMsgpack;
import dev.banger.nomad.cty.PluginConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plugin's schemas pass the harness's checks, and the checks catch what Nomad would refuse. */
class SchemaTest {
    @Test
    void schemasAreWellFormed() {
        SpecChecks.check(BangerBasePlugin.CONFIG_SCHEMA);
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
        PluginConfig none = PluginConfig.DEFAULTS;
        assertThat(DaemonBangerd.socketFor(none, Map.of())).isEqualTo(Path.of("/run/banger/bangerd.sock"));
        assertThat(DaemonBangerd.socketFor(none, Map.of("BANGER_HOME", "/srv/banger")))
                .isEqualTo(Path.of("/srv/banger/run/bangerd.sock"));
        assertThat(DaemonBangerd.socketFor(new PluginConfig("/x/bangerd.sock"), Map.of("BANGER_HOME", "/srv/banger")))
                .isEqualTo(Path.of("/x/bangerd.sock"));
        // the client's state layout is the one whose socket it is
        assertThat(DaemonBangerd.pathsFor(Path.of("/srv/banger/run/bangerd.sock")).socket())
                .isEqualTo(Path.of("/srv/banger/run/bangerd.sock"));
        assertThat(DaemonBangerd.pathsFor(Path.of("/x/bangerd.sock")).socket()).isEqualTo(Path.of("/x/bangerd.sock"));
        assertThat(DaemonBangerd.pathsFor(Path.of("/run/banger/bangerd.sock")).logFile())
                .isEqualTo(Path.of("/var/log/banger/bangerd.log"));
        assertThatThrownBy(() -> PluginConfig.decode(CtyMsgpack.encode(Map.of("socket", "/x/other.sock"),
                PluginConfig.SPEC.type()))).hasMessageContaining("must be a bangerd socket");
    }
}
