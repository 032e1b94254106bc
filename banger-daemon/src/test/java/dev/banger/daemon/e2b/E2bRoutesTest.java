package dev.banger.daemon.e2b;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.e2b.E2bRoutes.Envd;
import dev.banger.daemon.e2b.E2bRoutes.Port;
import dev.banger.daemon.e2b.E2bRoutes.Rest;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class E2bRoutesTest {
    private static final String ID = "0123456789ab";

    @Test
    void theSandboxHeaderIsEnvdWhateverTheHost() {
        assertThat(E2bRoutes.route("8080-" + ID + ".e2b.local", ID, "e2b.local")).isEqualTo(new Envd(ID));
        assertThat(E2bRoutes.route(null, ID, "e2b.local")).isEqualTo(new Envd(ID));
    }

    @Test
    void aPortHostIsThatSandboxesPort() {
        assertThat(E2bRoutes.route("8080-" + ID + ".e2b.local:3000", null, "e2b.local")).isEqualTo(new Port(ID, 8080));
        assertThat(E2bRoutes.route("8080-" + ID + ".E2B.Local", null, "e2b.local")).as("DNS is case-insensitive")
                .isEqualTo(new Port(ID, 8080));
        assertThat(E2bRoutes.route("1-" + ID + ".e2b.local.", null, "e2b.local")).isEqualTo(new Port(ID, 1));
        assertThat(E2bRoutes.route("65535-" + ID + ".e2b.local", null, "e2b.local")).isEqualTo(new Port(ID, 65535));
    }

    @Test
    void envdsPortInAHostIsEnvd() {
        assertThat(E2bRoutes.route("49983-" + ID + ".e2b.local:3000", null, "e2b.local")).isEqualTo(new Envd(ID));
    }

    @Test
    void anythingElseIsTheRestApi() {
        for (String host : new String[] {null, "127.0.0.1:3000", "localhost", "[::1]:3000", "api.e2b.local", "e2b.local",
                "8080-" + ID + ".other.local", "0-" + ID + ".e2b.local", "65536-" + ID + ".e2b.local", "080-" + ID + ".e2b.local",
                "99999-" + ID + ".e2b.local", "8080-" + ID + ".x.e2b.local", "x.8080-" + ID + ".e2b.local", "8080" + ID + ".e2b.local",
                "-8080-" + ID + ".e2b.local", "8080-.e2b.local", "8080-" + ID + "e2b.local", "8080-" + "a".repeat(300) + ".e2b.local"}) {
            assertThat(E2bRoutes.route(host, null, "e2b.local")).as(String.valueOf(host)).isEqualTo(new Rest());
        }
    }

    @Property
    void everyPortRoutesToItselfOrEnvd(@ForAll @IntRange(min = 1, max = 65535) int port, @ForAll("ports") String listenPort) {
        var route = E2bRoutes.route(port + "-" + ID + ".e2b.local" + listenPort, null, "e2b.local");
        assertThat(route).isEqualTo(port == E2bRoutes.ENVD_PORT ? new Envd(ID) : new Port(ID, port));
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> ports() {
        return net.jqwik.api.Arbitraries.integers().between(0, 65535).map(p -> ":" + p).injectNull(0.3).map(p -> p == null ? "" : p);
    }

    @Property
    void noHostOutsideTheDomainLeavesTheRestApi(@ForAll @StringLength(max = 80) String host) {
        if (!host.toLowerCase(java.util.Locale.ROOT).contains(".e2b.local")) {
            assertThat(E2bRoutes.route(host, null, "e2b.local")).isEqualTo(new Rest());
        }
    }
}
