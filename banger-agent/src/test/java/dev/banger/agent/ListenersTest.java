package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenersTest {
    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000
               1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000
               2: 0200A8C0:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000
               3: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000
               4: garbage
            """;
    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000001000000:1F42 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000
            """;

    @Test
    void listeningRowsAreParsedWithTheirAddressesAndOthersSkipped() throws Exception {
        List<Listeners.Bound> bound = Listeners.parse(TCP.toUpperCase(), "0A");
        assertThat(bound).containsExactly(
                new Listeners.Bound(InetAddress.getByName("127.0.0.1"), 8000),
                new Listeners.Bound(InetAddress.getByName("0.0.0.0"), 22),
                new Listeners.Bound(InetAddress.getByName("192.168.0.2"), 8001));
        assertThat(Listeners.parse(TCP6.toUpperCase(), "0A")).containsExactly(new Listeners.Bound(InetAddress.getByName("::1"), 8002));
    }

    @Test
    void aConnectionGoesToLoopbackUnlessThePortIsBoundOnlyToASpecificAddress() throws Exception {
        List<Listeners.Bound> bound = Listeners.parse(TCP.toUpperCase(), "0A");
        assertThat(Listeners.target(bound, 8000)).isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(Listeners.target(bound, 22)).as("a wildcard").isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(Listeners.target(bound, 8001)).as("bound to the guest's address only").isEqualTo(InetAddress.getByName("192.168.0.2"));
        assertThat(Listeners.target(bound, 9999)).as("nothing bound yet").isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(Listeners.target(Listeners.parse(TCP6.toUpperCase(), "0A"), 8002)).isEqualTo(InetAddress.getByName("::1"));
    }

    @Test
    void malformedAddressesAreRefused() {
        assertThat(Listeners.address("123")).isNull();
        assertThat(Listeners.parse("header\n 0: ZZZZZZZZ:0050 00000000:0000 0A\n", "0A")).isEmpty();
        assertThat(Listeners.parse("header\n 0: 0100007F:0000 00000000:0000 0A\n", "0A")).as("port 0").isEmpty();
    }

    @Test
    void theWatchLineListsDistinctPortsButTheAgentsOwn() throws Exception {
        List<Listeners.Bound> bound = List.of(new Listeners.Bound(InetAddress.getByName("0.0.0.0"), 8080),
                new Listeners.Bound(InetAddress.getByName("::"), 8080), new Listeners.Bound(InetAddress.getByName("0.0.0.0"), 1024),
                new Listeners.Bound(InetAddress.getByName("127.0.0.1"), 22));
        assertThat(Forward.tcpPortsLine(bound, 1024)).isEqualTo("{\"tcp\":[22,8080]}\n");
    }
}
