package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.Ipv4Subnet;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestGuardTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");

    /** The rules of the input chain, in order. */
    private static List<String> rules(String script) {
        String chain = script.substring(script.indexOf("chain input {") + "chain input {".length(), script.lastIndexOf("};"));
        return Arrays.stream(chain.split(";")).map(String::strip).filter(r -> !r.isEmpty()).toList();
    }

    @Test
    void replacesItsOwnInetTableAtomically() {
        String script = GuestGuard.script("banger0", SUBNET);
        assertThat(script).startsWith("add table inet banger_guard; delete table inet banger_guard; table inet banger_guard {");
        assertThat(GuestGuard.removal()).isEqualTo("add table inet banger_guard; delete table inet banger_guard");
        // Only the input hook: forwarded traffic (guest to guest, NAT) is not the guard's.
        assertThat(script).contains("type filter hook input priority filter; policy accept")
                .doesNotContain("hook forward").doesNotContain("oifname").doesNotContain("table ip banger ");
    }

    @Test
    void fromTheBridgeOnlyRepliesNeighbourDiscoveryAndDnsOnTheGatewayPassThenAllElseIsDropped() {
        assertThat(rules(GuestGuard.script("banger0", SUBNET))).containsExactly(
                "type filter hook input priority filter",
                "policy accept",
                "iifname \"banger0\" ct state established,related accept",
                "iifname \"banger0\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
                "iifname \"banger0\" ip daddr 172.29.0.1 udp dport 53 accept",
                "iifname \"banger0\" ip daddr 172.29.0.1 tcp dport 53 accept",
                "iifname \"banger0\" drop");
    }

    @Test
    void everyServiceIsOneAcceptRuleBeforeTheDrop() {
        List<String> rules = rules(GuestGuard.script("br-x", Ipv4Subnet.parse("10.200.0.0/16")));
        for (GuestGuard.Service s : GuestGuard.SERVICES) {
            String rule = "iifname \"br-x\" ip daddr 10.200.0.1 " + s.protocol() + " dport " + s.port() + " accept";
            assertThat(rules.indexOf(rule)).as(rule).isPositive().isLessThan(rules.indexOf("iifname \"br-x\" drop"));
        }
        assertThat(rules.getLast()).isEqualTo("iifname \"br-x\" drop");
    }

    @Test
    void aBadBridgeNameIsRefusedBeforeAnyScriptExists() {
        for (String bad : List.of("", "a\"b", "x;flush ruleset", "0123456789abcdef", "a b")) {
            assertThatThrownBy(() -> GuestGuard.script(bad, SUBNET)).isInstanceOf(BangerException.class);
        }
    }

    @Test
    void aServiceIsTcpOrUdpOnAPort() {
        assertThatThrownBy(() -> new GuestGuard.Service("sctp", 53, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GuestGuard.Service("tcp", 0, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GuestGuard.Service("udp", 65536, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(GuestGuard.SERVICES).extracting(GuestGuard.Service::port).containsOnly(53);
    }
}
