package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Ipv4Subnet;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class VmNetworkTest {
    private static final long MAX_ID = 0xffff_ffff_ffffL;

    private static String id(long v) {
        return String.format("%012x", v);
    }

    @Test
    void examples() {
        assertThat(VmNetwork.tapName("0123456789ab")).isEqualTo("bgr0123456789ab").hasSize(15);
        assertThat(VmNetwork.mac("0123456789ab")).isEqualTo("02:23:45:67:89:ab");
        assertThat(VmNetwork.mac("ffffffffffff")).isEqualTo("02:ff:ff:ff:ff:ff");
        assertThat(VmNetwork.mac("000000000000")).isEqualTo("02:00:00:00:00:00");
    }

    @Property
    void everyIdGivesAValidTapAndMac(@ForAll @LongRange(min = 0, max = MAX_ID) long v) {
        String tap = VmNetwork.tapName(id(v));
        String mac = VmNetwork.mac(id(v));
        assertThat(tap).hasSize(VmNetwork.MAX_INTERFACE_NAME).startsWith("bgr");
        assertThat(VmNetwork.isValidTapName(tap)).isTrue();
        assertThat(VmNetwork.isBangerTap(tap)).isTrue();
        assertThat(VmNetwork.isValidMac(mac)).isTrue();
        // Accepted by the plan, i.e. by QEMU's argv.
        assertThat(QemuPlan.Nic.forVm(id(v))).isEqualTo(new QemuPlan.Nic(tap, mac));
        // Same id, same values: nothing to store.
        assertThat(VmNetwork.tapName(id(v))).isEqualTo(tap);
        assertThat(VmNetwork.mac(id(v))).isEqualTo(mac);
    }

    @Property
    void distinctIdsGiveDistinctTaps(@ForAll @LongRange(min = 0, max = MAX_ID) long a, @ForAll @LongRange(min = 0, max = MAX_ID) long b) {
        Assume.that(a != b);
        assertThat(VmNetwork.tapName(id(a))).isNotEqualTo(VmNetwork.tapName(id(b)));
    }

    /** The MAC carries the id's last 40 bits: unique exactly when those differ. */
    @Property
    void macsAreUniqueOverTheLastFiveBytes(@ForAll @LongRange(min = 0, max = MAX_ID) long a, @ForAll @LongRange(min = 0, max = MAX_ID) long b) {
        boolean sameLow40 = (a & 0xff_ffff_ffffL) == (b & 0xff_ffff_ffffL);
        assertThat(VmNetwork.mac(id(a)).equals(VmNetwork.mac(id(b)))).isEqualTo(sameLow40);
    }

    @Test
    void manyRandomIdsGiveManyDistinctValues() {
        SplittableRandom r = new SplittableRandom(7);
        Set<String> taps = new HashSet<>();
        Set<String> macs = new HashSet<>();
        for (int i = 0; i < 50_000; i++) {
            String id = dev.banger.core.VmIds.generate(r);
            taps.add(VmNetwork.tapName(id));
            macs.add(VmNetwork.mac(id));
        }
        assertThat(taps).hasSize(50_000);
        assertThat(macs).hasSize(50_000);
    }

    @Test
    void theCollisionTheClassCommentAdmits() {
        assertThat(VmNetwork.mac("aa0000000001")).isEqualTo(VmNetwork.mac("bb0000000001"));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "0123456789a", "0123456789ABC", "0123456789AB", "../../etc/xx", "0123456789ag"})
    void nonIdsAreRefused(String bad) {
        assertThatThrownBy(() -> VmNetwork.tapName(bad)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VmNetwork.mac(bad)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"02:00:00:00:00:00", "06:aa:bb:cc:dd:ee", "fe:ff:ff:ff:ff:ff"})
    void locallyAdministeredUnicastMacsAreValid(String mac) {
        assertThat(VmNetwork.isValidMac(mac)).isTrue();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "00:11:22:33:44:55" /* vendor */, "03:00:00:00:00:00" /* multicast */,
            "02:AA:BB:CC:DD:EE" /* uppercase */, "02-aa-bb-cc-dd-ee", "02:aa:bb:cc:dd", "02:aa:bb:cc:dd:ee:ff",
            "02:aa:bb:cc:dd:eg", "02:aa:bb:cc:dd:ee\n"})
    void otherMacsAreNot(String mac) {
        assertThat(VmNetwork.isValidMac(mac)).isFalse();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "bgr0123456789abc" /* 16 */, "Tap0", "tap_0", "tap 0", "-n", "t,ifname=x", "../x", "t\n"})
    void invalidTapNames(String tap) {
        assertThat(VmNetwork.isValidTapName(tap)).isFalse();
        assertThat(VmNetwork.isBangerTap(tap)).isFalse();
    }

    @Test
    void bangerTapsAreRecognised() {
        assertThat(VmNetwork.isBangerTap("bgr0123456789ab")).isTrue();
        assertThat(VmNetwork.isBangerTap("bgr0123456789a")).isFalse();
        assertThat(VmNetwork.isBangerTap("tap0123456789ab")).isFalse();
        assertThat(VmNetwork.isValidTapName("tap0")).isTrue();
    }

    @Test
    void gatewayAndPrefixes() {
        Ipv4Subnet s = Ipv4Subnet.parse("172.29.0.0/24");
        assertThat(VmNetwork.gateway(s)).isEqualTo("172.29.0.1");
        assertThat(VmNetwork.bridgeCidr(s)).isEqualTo("172.29.0.1/24");
        assertThat(VmNetwork.guestCidr(s, Ipv4Subnet.parseAddress("172.29.0.7"))).isEqualTo("172.29.0.7/24");
        Ipv4Subnet s16 = Ipv4Subnet.parse("10.200.0.0/16");
        assertThat(VmNetwork.bridgeCidr(s16)).isEqualTo("10.200.0.1/16");
        assertThat(VmNetwork.guestCidr(s16, Ipv4Subnet.parseAddress("10.200.3.4"))).isEqualTo("10.200.3.4/16");
    }

    @ParameterizedTest
    @ValueSource(strings = {"172.29.0.1" /* gateway */, "172.29.0.0" /* network */, "172.29.0.255" /* broadcast */, "172.29.1.5"})
    void guestCidrRefusesNonGuestAddresses(String address) {
        Ipv4Subnet s = Ipv4Subnet.parse("172.29.0.0/24");
        assertThatThrownBy(() -> VmNetwork.guestCidr(s, Ipv4Subnet.parseAddress(address))).isInstanceOf(IllegalArgumentException.class);
    }
}
