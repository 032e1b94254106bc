package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortHoldersTest {
    @Test
    void theInodesOfAPortAreReadFromTheTableListeningOnlyForTcp() {
        String table = """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0
                   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0
                   2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0
                """;
        assertThat(PortHolders.inodes(table, 8080, true)).containsExactly("4242");
        assertThat(PortHolders.inodes(table, 8080, false)).containsExactlyInAnyOrder("4242", "4343");
        assertThat(PortHolders.inodes(table, 9999, true)).isEmpty();
    }

    @Test
    void aPortThisProcessHoldsIsAttributedToIt() throws Exception {
        String me = "pid " + ProcessHandle.current().pid() + " (";
        try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             DatagramSocket udp = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            assertThat(PortHolders.describe("tcp", tcp.getLocalPort())).hasValueSatisfying(d -> assertThat(d).startsWith(me));
            assertThat(PortHolders.describe("udp", udp.getLocalPort())).hasValueSatisfying(d -> assertThat(d).startsWith(me));
        }
    }

    @Test
    void aFreePortHasNoHolder() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            free = probe.getLocalPort();
        }
        assertThat(PortHolders.describe("tcp", free)).isEmpty();
    }
}
