package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The conversions into the ioctls' structs, and the warm-up, which only reads (lo's flags). */
class NetIoctlsTest {
    @Test
    void addressesMasksAndMacsBecomeNetworkOrderBytes() {
        assertThat(NetIoctls.ipv4("172.29.0.6")).containsExactly((byte) 172, (byte) 29, (byte) 0, (byte) 6);
        assertThat(NetIoctls.netmask(24)).containsExactly((byte) 255, (byte) 255, (byte) 255, (byte) 0);
        assertThat(NetIoctls.netmask(20)).containsExactly((byte) 255, (byte) 255, (byte) 240, (byte) 0);
        assertThat(NetIoctls.netmask(32)).containsExactly((byte) 255, (byte) 255, (byte) 255, (byte) 255);
        assertThat(NetIoctls.netmask(1)).containsExactly((byte) 128, (byte) 0, (byte) 0, (byte) 0);
        assertThat(NetIoctls.mac("02:58:0e:65:38:ca")).containsExactly((byte) 2, (byte) 0x58, (byte) 0x0e, (byte) 0x65, (byte) 0x38,
                (byte) 0xca);
    }

    @Test
    void theWarmUpReadsLosFlagsAndChangesNothing() throws Exception {
        int flags = NetIoctls.warm();
        assertThat(flags & 0x1).as("lo is up").isEqualTo(1);
        assertThat(flags & 0x8).as("IFF_LOOPBACK").isEqualTo(8);
    }
}
