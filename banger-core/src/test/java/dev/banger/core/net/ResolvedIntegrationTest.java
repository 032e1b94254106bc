package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.Ipv4Subnet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolvedIntegrationTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");

    @Test
    void withResolvedTheBridgeGetsARoutingOnlyDomainBeforeItsServer() {
        var d = ResolvedIntegration.decide(new ResolvedIntegration.Facts(true, true), "banger0", SUBNET);
        assertThat(d).isInstanceOf(ResolvedIntegration.Configure.class);
        List<List<String>> commands = ((ResolvedIntegration.Configure) d).commands();
        assertThat(commands).containsExactly(
                List.of("resolvectl", "domain", "banger0", "~vm"),
                List.of("resolvectl", "default-route", "banger0", "false"),
                List.of("resolvectl", "nta", "banger0", "vm"),
                List.of("resolvectl", "dns", "banger0", "172.29.0.1"));
        assertThat(ResolvedIntegration.revert("banger0")).containsExactly("resolvectl", "revert", "banger0");
    }

    @Test
    void withoutResolvedTheAdviceNamesTheGatewayAndTheFixes() {
        var d = ResolvedIntegration.decide(new ResolvedIntegration.Facts(false, true), "banger0", SUBNET);
        String text = ((ResolvedIntegration.Advise) d).text();
        assertThat(text).contains("systemd-resolved is not running").contains("server=/vm/172.29.0.1")
                .contains("forward-addr: 172.29.0.1").contains("dig @172.29.0.1");
        assertThat(ResolvedIntegration.decide(new ResolvedIntegration.Facts(false, false), "banger0", SUBNET))
                .isInstanceOf(ResolvedIntegration.Advise.class);
    }

    @Test
    void resolvedWithoutResolvectlSaysWhatToInstall() {
        var d = ResolvedIntegration.decide(new ResolvedIntegration.Facts(true, false), "banger0", SUBNET);
        assertThat(((ResolvedIntegration.Advise) d).text()).contains("resolvectl is not installed");
    }

    @Test
    void badBridgeNameIsRejected() {
        assertThatThrownBy(() -> ResolvedIntegration.decide(new ResolvedIntegration.Facts(true, true), "a b", SUBNET))
                .isInstanceOf(BangerException.class);
    }
}
