package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    @Test
    void plainLineHasSixFieldsTheLastEmpty() {
        assertThat(Handshake.line(Path.of("/tmp/d/plugin.sock"), null)).isEqualTo("1|2|unix|/tmp/d/plugin.sock|grpc|");
    }

    @Test
    void mtlsLineCarriesTheServerCertificateUnpadded() throws Exception {
        SelfSignedCert cert = SelfSignedCert.generate(Instant.now());
        String line = Handshake.line(Path.of("/s"), cert.certificate().getEncoded());
        HandshakeLine parsed = HandshakeLine.parse(line);
        assertThat(parsed.serverCert()).isEqualTo(cert.certificate());
        assertThat(line).doesNotContain("=");
    }

    @Test
    void refusesASocketPathTheLineCannotCarry() {
        assertThatThrownBy(() -> Handshake.line(Path.of("/tmp/a|b/plugin.sock"), null))
                .hasMessageContaining("PLUGIN_UNIX_SOCKET_DIR");
    }

    @Test
    void acceptsOnlyNomadsCookie() {
        assertThat(Handshake.cookieAccepted(Map.of(Handshake.COOKIE_KEY, Handshake.COOKIE_VALUE))).isTrue();
        assertThat(Handshake.cookieAccepted(Map.of(Handshake.COOKIE_KEY, Handshake.COOKIE_VALUE + "x"))).isFalse();
        assertThat(Handshake.cookieAccepted(Map.of())).isFalse();
    }

    @Test
    void readsTheHostsProtocolVersions() {
        assertThat(Handshake.hostSpeaksAppProtocol(Map.of())).isTrue();
        assertThat(Handshake.hostSpeaksAppProtocol(Map.of(Handshake.VERSIONS_ENV, "1, 2"))).isTrue();
        assertThat(Handshake.hostSpeaksAppProtocol(Map.of(Handshake.VERSIONS_ENV, "1,3"))).isFalse();
    }
}
