package dev.banger.core.ports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.PublishedPort;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PublishRulesTest {
    @Test
    void theHostAddressDefaultsToLoopbackAndTheProtocolToTcp() {
        assertThat(PublishRules.parse("8080:80")).isEqualTo(new PublishedPort("127.0.0.1", 8080, 80, "tcp"));
        assertThat(PublishRules.parse("0.0.0.0:5353:53/udp")).isEqualTo(new PublishedPort("0.0.0.0", 5353, 53, "udp"));
        assertThat(PublishRules.parse(" 10.0.0.1:443:8443/TCP ")).isEqualTo(new PublishedPort("10.0.0.1", 443, 8443, "tcp"));
    }

    @Test
    void badSpecsSayWhatIsWrong() {
        assertThatThrownBy(() -> PublishRules.parse("8080")).isInstanceOf(BangerException.class).hasMessageContaining("is not [HOST_IP:]");
        assertThatThrownBy(() -> PublishRules.parse("0:80")).hasMessageContaining("host port 0 is not 1-65535");
        assertThatThrownBy(() -> PublishRules.parse("80:65536")).hasMessageContaining("guest port 65536");
        assertThatThrownBy(() -> PublishRules.parse("256.1.1.1:80:80")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> PublishRules.parse("80:80/sctp")).hasMessageContaining("is not");
        assertThatThrownBy(() -> PublishRules.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> PublishRules.parse("\u001b[2J:80")).hasMessageContaining("?[2J");
    }

    @Test
    void aListMayNotAskForOneHostPortTwice() {
        assertThat(PublishRules.parseAll(List.of("8080:80", "8080:80/udp"))).hasSize(2);
        assertThatThrownBy(() -> PublishRules.parseAll(List.of("8080:80", "0.0.0.0:8080:81")))
                .hasMessageContaining("host port 8080/tcp is published twice");
    }

    @Test
    void unpublishNamesAPortByItsHostPortOrTheWholeSpec() {
        assertThat(PublishRules.parseNamed("8080")).isEqualTo(new PublishRules.Named(8080, "tcp"));
        assertThat(PublishRules.parseNamed("53/udp")).isEqualTo(new PublishRules.Named(53, "udp"));
        assertThat(PublishRules.parseNamed("0.0.0.0:5353:53/udp")).isEqualTo(new PublishRules.Named(5353, "udp"));
    }

    @Property
    void everyValidSpecRoundTripsThroughItsCanonicalForm(@ForAll @IntRange(min = 1, max = 65535) int host,
                                                          @ForAll @IntRange(min = 1, max = 65535) int guest, @ForAll boolean udp) {
        PublishedPort p = PublishRules.parse(host + ":" + guest + (udp ? "/udp" : ""));
        assertThat(PublishRules.parse(p.spec())).isEqualTo(p);
    }
}
