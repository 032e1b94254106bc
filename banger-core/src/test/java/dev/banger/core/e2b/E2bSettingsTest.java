package dev.banger.core.e2b;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.BangerConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class E2bSettingsTest {
    private static final String FILE = "/etc/banger/config.toml";

    @Test
    void offByDefaultWithItsDefaults() {
        E2bSettings e = BangerConfig.parse("", FILE).e2b();
        assertThat(e.enabled()).isFalse();
        assertThat(e.domain()).isEqualTo("e2b.local");
        assertThat(e.maxSandboxes()).isEqualTo(20);
        assertThat(e.maxSandboxesPerKey()).isEqualTo(10);
        assertThat(BangerConfig.DEFAULTS.e2b().enabled()).isFalse();
        assertThat(BangerConfig.parse("[e2b]\ndomain = \"sb.example\"\n", FILE).e2b().enabled()).isFalse();
    }

    @Test
    void loopbackListenerWithoutTls() {
        E2bSettings e = BangerConfig.parse("""
                [e2b]
                listen = "127.0.0.1:3000"
                domain = "sandbox.test"
                max_sandboxes = 5
                max_sandboxes_per_key = 2
                """, FILE).e2b();
        assertThat(e.enabled()).isTrue();
        assertThat(e.host()).isEqualTo("127.0.0.1");
        assertThat(e.port()).isEqualTo(3000);
        assertThat(e.domain()).isEqualTo("sandbox.test");
        assertThat(e.maxSandboxes()).isEqualTo(5);
        assertThat(e.maxSandboxesPerKey()).isEqualTo(2);
        assertThat(e.tls()).isFalse();
        assertThat(BangerConfig.parse("[e2b]\nlisten = \"[::1]:3000\"\n", FILE).e2b().host()).isEqualTo("::1");
        assertThat(BangerConfig.parse("[e2b]\nlisten = \"localhost:3000\"\n", FILE).e2b().host()).isEqualTo("localhost");
    }

    @Test
    void aNonLoopbackListenerNeedsTls() {
        assertThatThrownBy(() -> BangerConfig.parse("[e2b]\nlisten = \"0.0.0.0:3000\"\n", FILE))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("set e2b.tls_cert and e2b.tls_key");
        E2bSettings e = BangerConfig.parse("""
                [e2b]
                listen = "0.0.0.0:3443"
                tls_cert = "/etc/banger/e2b.crt"
                tls_key = "/etc/banger/e2b.key"
                """, FILE).e2b();
        assertThat(e.tls()).isTrue();
        assertThat(e.tlsCert()).isEqualTo(Path.of("/etc/banger/e2b.crt"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "listen = \"127.0.0.1\"", "listen = \"example.com:3000\"", "listen = \"127.0.0.1:70000\"", "listen = \"::1:3000\"",
            "listen = \"127.0.0.1:x\"", "domain = \"bad domain\"", "max_sandboxes = 0", "max_sandboxes_per_key = -1",
            "tls_cert = \"/a.crt\"", "tls_cert = \"rel.crt\"\ntls_key = \"/k\"", "listen = \"999.0.0.1:3000\""})
    void badSettingsAreRefusedNamingTheKey(String line) {
        assertThatThrownBy(() -> BangerConfig.parse("[e2b]\n" + line + "\n", FILE))
                .isInstanceOf(BangerException.class)
                .hasMessageStartingWith(FILE + ": ")
                .hasMessageContaining("e2b.");
    }

    @Test
    void unknownKeysAreErrors() {
        assertThatThrownBy(() -> BangerConfig.parse("[e2b]\nlisten_on = \"127.0.0.1:3000\"\n", FILE))
                .hasMessageContaining("listen_on");
    }
}
