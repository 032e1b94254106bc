package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinkStateTest {
    /** Trimmed output of `ip -j -d addr show` (iproute2 6.1) in a namespace with banger's bridge and a tap. */
    static final String SAMPLE = """
            [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"operstate":"UNKNOWN","link_type":"loopback",
              "address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"},
              {"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},
             {"ifindex":2,"ifname":"banger0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"operstate":"DOWN",
              "link_type":"ether","address":"02:62:AC:1d:00:01","linkinfo":{"info_kind":"bridge","info_data":{"stp_state":0}},
              "addr_info":[{"family":"inet","local":"172.29.0.1","prefixlen":24,"broadcast":"172.29.0.255","scope":"global"},
              {"family":"inet6","local":"fe80::62:acff:fe1d:1","prefixlen":64,"scope":"link"}]},
             {"ifindex":3,"ifname":"bgr0123456789ab","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"master":"banger0",
              "operstate":"DOWN","link_type":"ether","address":"0e:96:b6:d2:b1:db","linkinfo":{"info_kind":"tun",
              "info_data":{"type":"tap","pi":false,"vnet_hdr":false},"info_slave_kind":"bridge",
              "info_slave_data":{"state":"forwarding"}},"addr_info":[]},
             {"ifindex":4,"ifname":"tun0","flags":["POINTOPOINT","MULTICAST","NOARP"],"operstate":"DOWN","link_type":"none",
              "linkinfo":{"info_kind":"tun","info_data":{"type":"tun","pi":false,"vnet_hdr":false}},"addr_info":[]},
             {"ifindex":5,"ifname":"eth0","link":"veth1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"operstate":"UP",
              "link_type":"ether","address":"aa:bb:cc:dd:ee:ff","linkinfo":{"info_kind":"veth"},"future_field":{"x":[1,2]},
              "addr_info":[{"family":"inet","local":"10.9.0.5","prefixlen":16,"scope":"global"}]}]
            """;

    @Test
    void parsesLinksKindsMastersAndIpv4Addresses() {
        LinkState s = LinkState.parse(SAMPLE);
        assertThat(s.links()).containsOnlyKeys("lo", "banger0", "bgr0123456789ab", "tun0", "eth0");
        LinkState.Link br = s.link("banger0").orElseThrow();
        assertThat(br.isBridge()).isTrue();
        assertThat(br.adminUp()).isTrue();
        assertThat(br.mac()).isEqualTo("02:62:ac:1d:00:01");
        assertThat(br.ipv4()).containsExactly(new LinkState.Ipv4Address(Ipv4Subnet.parseAddress("172.29.0.1"), 24));
        LinkState.Link tap = s.link("bgr0123456789ab").orElseThrow();
        assertThat(tap.isTap()).isTrue();
        assertThat(tap.master()).isEqualTo("banger0");
        assertThat(s.link("tun0").orElseThrow().isTap()).as("a tun is not a tap").isFalse();
        assertThat(s.link("tun0").orElseThrow().adminUp()).isFalse();
        assertThat(s.link("eth0").orElseThrow().describe()).isEqualTo("a veth device");
        assertThat(s.link("lo").orElseThrow().describe()).isEqualTo("a network device");
        assertThat(s.portsOf("banger0")).extracting(LinkState.Link::name).containsExactly("bgr0123456789ab");
        assertThat(s.tapNames("bgr")).containsExactly("bgr0123456789ab");
        assertThat(s.tapNames("tun")).isEmpty();
    }

    @Test
    void onlyTapsThatAreUpWithoutACarrierAreIdle() {
        String json = """
                [{"ifname":"bgr00000000000a","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],
                  "linkinfo":{"info_kind":"tun","info_data":{"type":"tap"}}},
                 {"ifname":"bgr00000000000b","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
                  "linkinfo":{"info_kind":"tun","info_data":{"type":"tap"}}},
                 {"ifname":"bgr00000000000c","flags":["BROADCAST","MULTICAST"],
                  "linkinfo":{"info_kind":"tun","info_data":{"type":"tap"}}},
                 {"ifname":"bgrnotatap","flags":["NO-CARRIER","UP"],"linkinfo":{"info_kind":"veth"}},
                 {"ifname":"other0","flags":["NO-CARRIER","UP"],"linkinfo":{"info_kind":"tun","info_data":{"type":"tap"}}}]
                """;
        LinkState s = LinkState.parse(json);
        assertThat(s.idleTapNames("bgr")).as("held (carrier) and down (unknown) taps are not idle")
                .containsExactly("bgr00000000000a");
        assertThat(s.tapNames("bgr")).containsExactly("bgr00000000000a", "bgr00000000000b", "bgr00000000000c");
        assertThat(LinkState.parse(SAMPLE).idleTapNames("bgr")).containsExactly("bgr0123456789ab");
    }

    @Test
    void linkShowOutputWithoutAddressesIsFine() {
        LinkState s = LinkState.parse("[{\"ifname\":\"banger0\",\"flags\":[\"UP\"],\"linkinfo\":{\"info_kind\":\"bridge\"}}]");
        assertThat(s.link("banger0").orElseThrow().ipv4()).isEmpty();
        assertThat(LinkState.parse("").links()).isEmpty();
        assertThat(LinkState.parse("[]").links()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"ifname\":\"x\"}", "[{\"flags\":[]}]", "[{\"ifname\":\"\"}]",
            "[{\"ifname\":\"x\",\"addr_info\":[{\"family\":\"inet\",\"local\":\"300.1.1.1\",\"prefixlen\":24}]}]",
            "[{\"ifname\":\"x\",\"addr_info\":[{\"family\":\"inet\",\"local\":\"1.1.1.1\",\"prefixlen\":33}]}]", "[1,2"})
    void unexpectedOutputIsAnErrorThatSaysSo(String json) {
        assertThatThrownBy(() -> LinkState.parse(json)).isInstanceOf(BangerException.class)
                .hasMessageContaining("ip -j -d addr show")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.HOST_FAILURE));
    }
}
