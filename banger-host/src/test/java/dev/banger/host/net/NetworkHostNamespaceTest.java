package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.Ipv4Subnet;
import dev.banger.core.net.LinkState;
import dev.banger.core.net.NetCommands;
import dev.banger.host.HostInfo;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NetworkHost} against a real kernel: every command runs in a network namespace the test creates
 * and always deletes, so the host's network is never touched. Needs root and iproute2; NAT also nft.
 */
@Tag("privileged")
class NetworkHostNamespaceTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");
    private static final String BRIDGE = "banger0";
    private static final String TAP = "bgr0123456789ab";

    private TestNamespace ns;
    private NetworkHost host;

    @BeforeEach
    void createNamespace() {
        assumeTrue(HostInfo.isRoot(), "network namespaces need root");
        assumeTrue(TestNamespace.hostHas("ip"), "iproute2 is not installed");
        ns = TestNamespace.create();
        host = new NetworkHost(ns.executor, ns.sysctls);
    }

    @AfterEach
    void deleteNamespace() {
        if (ns != null) {
            ns.close();
        }
    }

    private LinkState links() {
        return LinkState.parse(ns.check(NetCommands.observe()));
    }

    @Test
    void ensureBridgeTwiceLeavesExactlyOneBridgeAddressedAndUp() {
        host.ensureBridge(BRIDGE, SUBNET);
        host.ensureBridge(BRIDGE, SUBNET);
        LinkState s = links();
        assertThat(s.links().values().stream().filter(LinkState.Link::isBridge)).hasSize(1);
        LinkState.Link br = s.link(BRIDGE).orElseThrow();
        assertThat(br.adminUp()).isTrue();
        assertThat(br.ipv4()).extracting(Object::toString).containsExactly("172.29.0.1/24");
        assertThat(br.mac()).isEqualTo(NetCommands.bridgeMac(SUBNET));
        // And as a person would check it: the kernel shows the bridge UP with the gateway address.
        String brief = ns.check(List.of("ip", "-br", "addr", "show", "dev", BRIDGE));
        assertThat(brief).contains("172.29.0.1/24");
        assertThat(ns.check(List.of("ip", "link", "show", "dev", BRIDGE))).contains(",UP");
    }

    @Test
    void aNewGuestAtAnOldAddressGetsNoStaleNeighbourEntry() {
        host.ensureBridge(BRIDGE, SUBNET);
        // the host learned the MAC of a VM at .3 that is gone now
        ns.check(List.of("ip", "neigh", "replace", "172.29.0.3", "lladdr", "02:00:00:00:00:03", "dev", BRIDGE, "nud", "reachable"));
        ns.check(List.of("ip", "neigh", "replace", "172.29.0.4", "lladdr", "02:00:00:00:00:04", "dev", BRIDGE, "nud", "reachable"));
        host.forgetNeighbour(BRIDGE, "172.29.0.3");
        String neighbours = ns.check(List.of("ip", "neigh", "show", "dev", BRIDGE));
        assertThat(neighbours).doesNotContain("172.29.0.3 ").contains("172.29.0.4");
        host.forgetNeighbour(BRIDGE, "172.29.0.3"); // none left: fine
    }

    @Test
    void ensureBridgeFinishesWhatACrashLeftAndFollowsANewSubnet() {
        ns.check(List.of("ip", "link", "add", "name", BRIDGE, "type", "bridge")); // crashed after the first step
        host.ensureBridge(BRIDGE, SUBNET);
        assertThat(links().link(BRIDGE).orElseThrow().ipv4()).extracting(Object::toString).containsExactly("172.29.0.1/24");
        Ipv4Subnet other = Ipv4Subnet.parse("10.201.0.0/16");
        host.ensureBridge(BRIDGE, other);
        LinkState.Link br = links().link(BRIDGE).orElseThrow();
        assertThat(br.ipv4()).extracting(Object::toString).containsExactly("10.201.0.1/16");
        assertThat(br.mac()).isEqualTo(NetCommands.bridgeMac(other));
    }

    @Test
    void createTapTwiceLeavesOneTapOnTheBridge() {
        host.ensureBridge(BRIDGE, SUBNET);
        host.createTap(TAP, BRIDGE);
        host.createTap(TAP, BRIDGE);
        LinkState s = links();
        LinkState.Link tap = s.link(TAP).orElseThrow();
        assertThat(tap.isTap()).isTrue();
        assertThat(tap.master()).isEqualTo(BRIDGE);
        assertThat(tap.adminUp()).isTrue();
        assertThat(s.portsOf(BRIDGE)).extracting(LinkState.Link::name).containsExactly(TAP);
        assertThat(host.listTaps("bgr")).containsExactly(TAP);
        assertThat(host.listTaps("nope")).isEmpty();
        // The bridge keeps its own MAC although a tap (with a random MAC) joined it.
        assertThat(s.link(BRIDGE).orElseThrow().mac()).isEqualTo(NetCommands.bridgeMac(SUBNET));
    }

    @Test
    void createTapReattachesADetachedTap() {
        host.ensureBridge(BRIDGE, SUBNET);
        ns.check(List.of("ip", "tuntap", "add", "dev", TAP, "mode", "tap")); // crashed before attaching
        host.createTap(TAP, BRIDGE);
        assertThat(links().link(TAP).orElseThrow().master()).isEqualTo(BRIDGE);
    }

    @Test
    void deleteTapTwice() {
        host.ensureBridge(BRIDGE, SUBNET);
        host.createTap(TAP, BRIDGE);
        host.deleteTap(TAP);
        host.deleteTap(TAP);
        assertThat(links().link(TAP)).isEmpty();
        assertThat(links().link(BRIDGE)).isPresent();
    }

    @Test
    void teardownLeavesNothingOfBangersAndIsIdempotent() {
        host.ensureBridge(BRIDGE, SUBNET);
        host.createTap(TAP, BRIDGE);
        host.createTap("bgr000000000002", BRIDGE);
        ns.check(List.of("ip", "tuntap", "add", "dev", "usertap", "mode", "tap"));
        ns.check(List.of("ip", "link", "set", "dev", "usertap", "master", BRIDGE));
        boolean nft = TestNamespace.hostHas("nft");
        if (nft) {
            host.setNat(BRIDGE, SUBNET, true);
        }
        host.teardown(BRIDGE);
        host.teardown(BRIDGE);
        LinkState s = links();
        assertThat(s.links()).containsOnlyKeys("lo", "usertap"); // someone else's tap: detached, not deleted
        assertThat(s.link("usertap").orElseThrow().master()).isNull();
        if (nft) {
            assertThat(host.natEnabled()).isFalse();
            assertThat(ns.check(List.of("nft", "list", "ruleset"))).isBlank();
        }
    }

    @Test
    void natOnAndOffCreatesAndRemovesBangersTable() {
        assumeTrue(TestNamespace.hostHas("nft"), "nftables is not installed");
        host.ensureBridge(BRIDGE, SUBNET);
        ns.sysctls.write(NetCommands.IP_FORWARD_SYSCTL, "0"); // the namespace's own, inherited from the host
        assertThat(host.natEnabled()).isFalse();
        host.setNat(BRIDGE, SUBNET, true);
        host.setNat(BRIDGE, SUBNET, true);
        assertThat(host.natEnabled()).isTrue();
        assertThat(ns.sysctls.read(NetCommands.IP_FORWARD_SYSCTL)).isEqualTo("1");
        String table = ns.check(List.of("nft", "list", "table", "ip", "banger"));
        assertThat(table).containsOnlyOnce("masquerade").contains("ip saddr 172.29.0.0/24 oifname != \"banger0\" masquerade")
                .contains("iifname \"banger0\" accept");
        host.setNat(BRIDGE, SUBNET, false);
        host.setNat(BRIDGE, SUBNET, false);
        assertThat(host.natEnabled()).isFalse();
        assertThat(ns.check(List.of("nft", "list", "ruleset"))).isBlank();
        assertThat(ns.sysctls.read(NetCommands.IP_FORWARD_SYSCTL)).as("left on for others").isEqualTo("1");
    }

    @Test
    void anInterfaceThatIsNotABridgeIsRefusedAndLeftAlone() {
        ns.check(List.of("ip", "tuntap", "add", "dev", BRIDGE, "mode", "tap"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> host.ensureBridge(BRIDGE, SUBNET))
                .hasMessageContaining("not a bridge");
        assertThat(links().link(BRIDGE).orElseThrow().isTap()).isTrue();
    }
}
