package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BridgePlanTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");
    private static final BridgeSpec WANTED = new BridgeSpec("banger0", SUBNET);
    private static final String MAC = "02:62:ac:1d:00:01";
    private static final LinkState.Ipv4Address GATEWAY = WANTED.gatewayAddress();

    private static LinkState with(LinkState.Link... links) {
        java.util.Map<String, LinkState.Link> m = new java.util.LinkedHashMap<>();
        for (LinkState.Link l : links) {
            m.put(l.name(), l);
        }
        return new LinkState(m);
    }

    private static LinkState.Link bridge(boolean up, String mac, LinkState.Ipv4Address... addresses) {
        return new LinkState.Link("banger0", "bridge", null, null, up, mac, List.of(addresses));
    }

    @Test
    void absentBridgeIsCreatedAddressedAndBroughtUp() {
        assertThat(BridgePlan.steps(LinkState.empty(), WANTED)).containsExactly(
                NetCommands.addBridge("banger0", SUBNET), NetCommands.addGatewayAddress("banger0", SUBNET),
                NetCommands.linkUp("banger0"));
    }

    @Test
    void aBridgeAsWantedNeedsNothing() {
        assertThat(BridgePlan.steps(with(bridge(true, MAC, GATEWAY)), WANTED)).isEmpty();
        assertThat(BridgePlan.steps(LinkState.parse(LinkStateTest.SAMPLE), WANTED)).isEmpty();
    }

    @Test
    void onlyTheMissingStepsAreRun() {
        assertThat(BridgePlan.steps(with(bridge(false, MAC, GATEWAY)), WANTED)).containsExactly(NetCommands.linkUp("banger0"));
        assertThat(BridgePlan.steps(with(bridge(true, MAC)), WANTED))
                .containsExactly(NetCommands.addGatewayAddress("banger0", SUBNET));
        assertThat(BridgePlan.steps(with(bridge(true, "d6:41:cc:23:0a:85", GATEWAY)), WANTED))
                .containsExactly(NetCommands.setMac("banger0", MAC));
    }

    @Test
    void addressesOfAnEarlierSubnetAreRemovedFirst() {
        LinkState.Ipv4Address old = new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("10.1.0.1"), 24);
        LinkState.Ipv4Address widened = new LinkState.Ipv4Address(GATEWAY.address(), 16);
        assertThat(BridgePlan.steps(with(bridge(true, MAC, old, widened)), WANTED)).containsExactly(
                NetCommands.deleteAddress("banger0", old.address(), 24),
                NetCommands.deleteAddress("banger0", widened.address(), 16),
                NetCommands.addGatewayAddress("banger0", SUBNET));
    }

    @Test
    void anInterfaceOfAnotherKindIsNeverTouched() {
        LinkState s = with(new LinkState.Link("banger0", "veth", null, null, true, "aa:bb:cc:dd:ee:ff", List.of()));
        assertThatThrownBy(() -> BridgePlan.steps(s, WANTED)).isInstanceOf(BangerException.class)
                .hasMessageContaining("banger0 exists and is a veth device, not a bridge").hasMessageContaining("network.bridge")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
    }

    @Test
    void aSubnetOverlappingAnotherLinksAddressIsRefused() {
        LinkState lan = with(new LinkState.Link("eth0", "veth", null, null, true, "aa:bb:cc:dd:ee:ff",
                List.of(new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("172.29.5.3"), 16))));
        assertThatThrownBy(() -> BridgePlan.steps(lan, WANTED)).isInstanceOf(BangerException.class)
                .hasMessageContaining("172.29.0.0/24 overlaps 172.29.5.3/16 on eth0").hasMessageContaining("network.subnet");
        LinkState vpn = with(new LinkState.Link("wg0", null, null, null, true, null,
                List.of(new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("172.29.0.77"), 32))));
        assertThatThrownBy(() -> BridgePlan.steps(vpn, WANTED)).isInstanceOf(BangerException.class);
        LinkState elsewhere = with(new LinkState.Link("eth0", null, null, null, true, null,
                List.of(new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("172.29.1.3"), 24))));
        assertThat(BridgePlan.steps(elsewhere, WANTED)).hasSize(3);
    }

    @Test
    void overlapIsSymmetricInPrefix() {
        assertThat(BridgePlan.overlaps(Ipv4Subnet.parse("10.0.0.0/16"), new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("10.0.200.1"), 24))).isTrue();
        assertThat(BridgePlan.overlaps(Ipv4Subnet.parse("10.0.0.0/24"), new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("10.0.0.9"), 8))).isTrue();
        assertThat(BridgePlan.overlaps(Ipv4Subnet.parse("10.0.0.0/24"), new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("10.0.1.9"), 24))).isFalse();
    }

    /** Whatever state banger's bridge is in, carrying out the plan leaves nothing more to do. */
    @Property
    void planThenReplanIsEmpty(@ForAll boolean exists, @ForAll boolean up, @ForAll boolean rightMac,
                               @ForAll boolean hasGateway, @ForAll @IntRange(min = 0, max = 3) int strayAddresses,
                               @ForAll @IntRange(min = 16, max = 29) int prefix) {
        Ipv4Subnet subnet = new Ipv4Subnet(Ipv4Subnet.parseAddress("10.77.0.0") & (-1 << (32 - prefix)), prefix);
        BridgeSpec wanted = new BridgeSpec("banger0", subnet);
        LinkState state = LinkState.empty();
        if (exists) {
            List<LinkState.Ipv4Address> addresses = new java.util.ArrayList<>();
            if (hasGateway) {
                addresses.add(wanted.gatewayAddress());
            }
            for (int i = 0; i < strayAddresses; i++) {
                addresses.add(new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("192.168." + i + ".1"), 24));
            }
            state = new LinkState(Map.of("banger0", new LinkState.Link("banger0", "bridge", null, null, up,
                    rightMac ? wanted.mac() : "d6:41:cc:23:0a:85", addresses)));
        }
        LinkState after = FakeKernel.apply(state, BridgePlan.steps(state, wanted));
        assertThat(BridgePlan.steps(after, wanted)).isEmpty();
        LinkState.Link br = after.link("banger0").orElseThrow();
        assertThat(br.ipv4()).containsExactly(wanted.gatewayAddress());
        assertThat(br.adminUp()).isTrue();
        assertThat(br.mac()).isEqualTo(wanted.mac());
    }

    @Test
    void specValidatesTheName() {
        assertThatThrownBy(() -> new BridgeSpec("bad name", SUBNET)).isInstanceOf(BangerException.class);
    }
}
