package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4SubnetTest {
    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String cidr) {
        return assertThatThrownBy(() -> Ipv4Subnet.parse(cidr))
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    private static int ip(String s) {
        return Ipv4Subnet.parseAddress(s);
    }

    @Property
    void addressFormatAndParseRoundTrip(@ForAll int address) {
        String text = Ipv4Subnet.format(address);
        assertThat(text).matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
        assertThat(Ipv4Subnet.parseAddress(text)).isEqualTo(address);
    }

    @Property
    void subnetParseAndFormatRoundTrip(@ForAll int address, @ForAll @IntRange(min = 16, max = 29) int prefix) {
        int network = address & (-1 << (32 - prefix));
        Ipv4Subnet subnet = new Ipv4Subnet(network, prefix);
        String text = subnet.toString();
        assertThat(text).isEqualTo(Ipv4Subnet.format(network) + "/" + prefix);
        assertThat(Ipv4Subnet.parse(text)).isEqualTo(subnet);
    }

    @Property
    void derivedAddressesAreConsistent(@ForAll int address, @ForAll @IntRange(min = 16, max = 29) int prefix) {
        int network = address & (-1 << (32 - prefix));
        Ipv4Subnet s = new Ipv4Subnet(network, prefix);
        long size = 1L << (32 - prefix);
        assertThat(s.gateway()).isEqualTo(network + 1);
        assertThat(Integer.toUnsignedLong(s.broadcast())).isEqualTo(Integer.toUnsignedLong(network) + size - 1);
        assertThat(s.firstGuest()).isEqualTo(network + 2);
        assertThat(s.lastGuest()).isEqualTo(s.broadcast() - 1);
        assertThat((long) s.guestCapacity()).isEqualTo(size - 3);
        assertThat(s.contains(network)).isTrue();
        assertThat(s.contains(s.broadcast())).isTrue();
        assertThat(s.contains(s.broadcast() + 1)).isFalse();
        assertThat(s.contains(network - 1)).isFalse();
    }

    @Test
    void theDefaultSubnet() {
        Ipv4Subnet s = Ipv4Subnet.parse("172.29.0.0/24");
        assertThat(s.network()).isEqualTo(ip("172.29.0.0"));
        assertThat(s.prefix()).isEqualTo(24);
        assertThat(Ipv4Subnet.format(s.gateway())).isEqualTo("172.29.0.1");
        assertThat(Ipv4Subnet.format(s.broadcast())).isEqualTo("172.29.0.255");
        assertThat(Ipv4Subnet.format(s.firstGuest())).isEqualTo("172.29.0.2");
        assertThat(Ipv4Subnet.format(s.lastGuest())).isEqualTo("172.29.0.254");
        assertThat(s.guestCapacity()).isEqualTo(253);
        assertThat(s.contains(ip("172.29.0.77"))).isTrue();
        assertThat(s.contains(ip("172.29.1.0"))).isFalse();
        assertThat(s).hasToString("172.29.0.0/24");
    }

    @Test
    void theSmallestAndLargestPrefixes() {
        Ipv4Subnet small = Ipv4Subnet.parse("10.0.0.8/29");
        assertThat(Ipv4Subnet.format(small.firstGuest())).isEqualTo("10.0.0.10");
        assertThat(Ipv4Subnet.format(small.lastGuest())).isEqualTo("10.0.0.14");
        assertThat(Ipv4Subnet.format(small.broadcast())).isEqualTo("10.0.0.15");
        assertThat(small.guestCapacity()).isEqualTo(5);

        Ipv4Subnet large = Ipv4Subnet.parse("10.1.0.0/16");
        assertThat(Ipv4Subnet.format(large.broadcast())).isEqualTo("10.1.255.255");
        assertThat(large.guestCapacity()).isEqualTo(65533);
    }

    @Test
    void addressesAbove128AreHandledDespiteSignedInts() {
        Ipv4Subnet s = Ipv4Subnet.parse("255.255.255.248/29");
        assertThat(s.network()).isNegative();
        assertThat(Ipv4Subnet.format(s.broadcast())).isEqualTo("255.255.255.255");
        assertThat(Ipv4Subnet.format(s.lastGuest())).isEqualTo("255.255.255.254");
        assertThat(s.guestCapacity()).isEqualTo(5);
        assertThat(s.contains(ip("255.255.255.250"))).isTrue();
        assertThat(s.contains(ip("127.255.255.250"))).isFalse();
    }

    @Test
    void hostBitsSetAreRejectedWithTheFix() {
        assertRejected("172.29.0.1/24").hasMessageContaining("has host bits set")
                .hasMessageContaining("did you mean 172.29.0.0/24?");
        assertRejected("10.0.0.4/29").hasMessageContaining("did you mean 10.0.0.0/29?");
        assertRejected("10.1.2.0/16").hasMessageContaining("did you mean 10.1.0.0/16?");
    }

    @Property
    void hostBitsAreAlwaysRejected(@ForAll int address, @ForAll @IntRange(min = 16, max = 29) int prefix) {
        int hostBits = address & ~(-1 << (32 - prefix));
        if (hostBits == 0) {
            return;
        }
        assertRejected(Ipv4Subnet.format(address) + "/" + prefix).hasMessageContaining("host bits set");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 8, 15, 30, 31, 32, 33})
    void prefixOutsideSixteenToTwentyNineIsRejected(int prefix) {
        assertRejected("10.0.0.0/" + prefix).hasMessageContaining("/" + prefix + " is not supported")
                .hasMessageContaining("use /16 to /29");
    }

    @ParameterizedTest
    @ValueSource(strings = {"256.0.0.0/24", "10.300.0.0/24", "10.0.0.999/24"})
    void octetsAbove255AreRejected(String cidr) {
        assertRejected(cidr).hasMessageContaining("is not an IPv4 address").hasMessageContaining("> 255");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0/24", "10.0.0.0.0/24", "/24", "10/16"})
    void wrongOctetCountIsRejected(String cidr) {
        assertRejected(cidr).hasMessageContaining("need four octets");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10..0.0/24", "10.0.0.a/24", "10.0.0.-0/24", "+10.0.0.0/24", " 10.0.0.0/24",
            "10.0.0.0 /24", "0010.0.0.0/24", "10.0.0.0x/24"})
    void malformedOctetsAreRejected(String cidr) {
        assertRejected(cidr).hasMessageContaining("is not an IPv4 address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/", "10.0.0.0/abc", "10.0.0.0/24/8", "10.0.0.0/24 ", "10.0.0.0/2.4"})
    void malformedPrefixesAreRejected(String cidr) {
        assertRejected(cidr).hasMessageContaining("invalid prefix length");
    }

    @Test
    void missingPrefixOrSubnet() {
        assertRejected("10.0.0.0").hasMessageContaining("has no prefix length");
        assertRejected("").hasMessageContaining("has no prefix length");
        assertRejected(null).hasMessageContaining("subnet is missing");
    }

    @Test
    void leadingZerosAreDecimalNotOctal() {
        assertThat(Ipv4Subnet.format(ip("010.000.001.009"))).isEqualTo("10.0.1.9");
    }

    @Test
    void constructorValidatesToo() {
        assertThatThrownBy(() -> new Ipv4Subnet(ip("10.0.0.1"), 24)).isInstanceOf(BangerException.class)
                .hasMessageContaining("host bits set");
        assertThatThrownBy(() -> new Ipv4Subnet(0, 8)).isInstanceOf(BangerException.class)
                .hasMessageContaining("use /16 to /29");
    }

    @Test
    void onlyAsciiDigitsAreAddressDigits() {
        assertRejected("\u0661\u0667\u0662.29.0.0/24").hasMessageContaining("is not an IPv4 address");
        assertRejected("\uFF11\uFF10.0.0.0/24").hasMessageContaining("is not an IPv4 address");
    }

    @Test
    void aSignedPrefixIsRejected() {
        assertRejected("172.29.0.0/+24").hasMessageContaining("invalid prefix length");
        assertRejected("172.29.0.0/-1").hasMessageContaining("invalid prefix length");
    }
}
