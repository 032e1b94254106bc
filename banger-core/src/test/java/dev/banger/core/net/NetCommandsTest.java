package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.core.Ipv4Subnet;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetCommandsTest {
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("172.29.0.0/24");

    @Test
    void linkCommands() {
        assertThat(NetCommands.observe()).containsExactly("ip", "-j", "-d", "addr", "show");
        assertThat(NetCommands.addBridge("banger0", SUBNET))
                .containsExactly("ip", "link", "add", "name", "banger0", "address", "02:62:ac:1d:00:01", "type", "bridge");
        assertThat(NetCommands.addGatewayAddress("banger0", SUBNET))
                .containsExactly("ip", "addr", "add", "172.29.0.1/24", "brd", "+", "dev", "banger0");
        assertThat(NetCommands.deleteAddress("banger0", Ipv4Subnet.parseAddress("10.0.0.1"), 16))
                .containsExactly("ip", "addr", "del", "10.0.0.1/16", "dev", "banger0");
        assertThat(NetCommands.linkUp("banger0")).containsExactly("ip", "link", "set", "dev", "banger0", "up");
        assertThat(NetCommands.setMac("banger0", "02:62:ac:1d:00:01"))
                .containsExactly("ip", "link", "set", "dev", "banger0", "address", "02:62:ac:1d:00:01");
        assertThat(NetCommands.addTap("bgr0123456789ab"))
                .containsExactly("ip", "tuntap", "add", "dev", "bgr0123456789ab", "mode", "tap");
        assertThat(NetCommands.attachTap("bgr0123456789ab", "banger0"))
                .containsExactly("ip", "link", "set", "dev", "bgr0123456789ab", "master", "banger0", "up");
        assertThat(NetCommands.deleteLink("bgr0123456789ab")).containsExactly("ip", "link", "del", "dev", "bgr0123456789ab");
        assertThat(NetCommands.forgetNeighbour("banger0", "172.29.0.3")).containsExactly("ip", "neigh", "flush", "to", "172.29.0.3", "dev", "banger0");
    }

    @Test
    void namesThatAreIpKeywordsStayNames() {
        // "help" right after "add" would make ip print its usage; after "name"/"dev" it is just a name.
        assertThat(NetCommands.addBridge("help", SUBNET)).containsSubsequence("name", "help");
        assertThat(NetCommands.deleteLink("type")).containsSubsequence("dev", "type");
    }

    @Test
    void everyCommandRejectsABadNameBeforeBuildingAnything() {
        for (String bad : List.of("", "-rf", "a b", "x;reboot", "0123456789abcdef", "a\"b")) {
            List<Runnable> builders = List.of(
                    () -> NetCommands.addBridge(bad, SUBNET), () -> NetCommands.addGatewayAddress(bad, SUBNET),
                    () -> NetCommands.deleteAddress(bad, 1, 24), () -> NetCommands.linkUp(bad),
                    () -> NetCommands.setMac(bad, "02:00:00:00:00:01"), () -> NetCommands.addTap(bad),
                    () -> NetCommands.attachTap(bad, "banger0"), () -> NetCommands.attachTap("bgr1", bad),
                    () -> NetCommands.deleteLink(bad), () -> NetCommands.natOn(bad, SUBNET),
                    () -> NetCommands.guardOn(bad, SUBNET));
            for (Runnable b : builders) {
                assertThatThrownBy(b::run).isInstanceOf(BangerException.class);
            }
        }
    }

    @Test
    void natIsOneAtomicReplacementOfBangersTable() {
        List<String> on = NetCommands.natOn("banger0", SUBNET);
        assertThat(on).hasSize(2).first().isEqualTo("nft");
        String script = on.get(1);
        assertThat(script).startsWith("add table ip banger; delete table ip banger; table ip banger {")
                .contains("type nat hook postrouting priority srcnat;")
                .contains("ip saddr 172.29.0.0/24 oifname != \"banger0\" masquerade;")
                .contains("type filter hook forward priority filter;")
                .contains("iifname \"banger0\" accept;")
                .contains("oifname \"banger0\" ct state established,related accept;")
                .contains("oifname \"banger0\" drop;");
        assertThat(NetCommands.natOff()).containsExactly("nft", "add table ip banger; delete table ip banger");
    }

    @Test
    void theGuardIsOneAtomicReplacementOfItsOwnTable() {
        assertThat(NetCommands.guardOn("banger0", SUBNET)).containsExactly("nft", GuestGuard.script("banger0", SUBNET));
        assertThat(NetCommands.guardOff()).containsExactly("nft", "add table inet banger_guard; delete table inet banger_guard");
    }

    @Test
    void bridgeMacIsLocallyAdministeredUnicastFromTheGateway() {
        assertThat(NetCommands.bridgeMac(SUBNET)).isEqualTo("02:62:ac:1d:00:01");
        assertThat(NetCommands.bridgeMac(Ipv4Subnet.parse("10.200.0.0/16"))).isEqualTo("02:62:0a:c8:00:01");
        int first = Integer.parseInt(NetCommands.bridgeMac(SUBNET).substring(0, 2), 16);
        assertThat(first & 0x01).as("unicast").isZero();
        assertThat(first & 0x02).as("locally administered").isEqualTo(2);
    }
}
