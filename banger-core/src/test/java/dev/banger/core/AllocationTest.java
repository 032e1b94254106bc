package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AllocationTest {
    private static final Ipv4Subnet DEFAULT = Ipv4Subnet.parse("172.29.0.0/24");

    @Test
    void firstAddressIsTheFirstGuest() {
        assertThat(Allocation.guestAddress(DEFAULT, List.of())).isEqualTo("172.29.0.2");
    }

    @Test
    void lowestFreeAddressIsChosen() {
        assertThat(Allocation.guestAddress(DEFAULT, List.of("172.29.0.2", "172.29.0.3", "172.29.0.5"))).isEqualTo("172.29.0.4");
        assertThat(Allocation.guestAddress(DEFAULT, List.of("172.29.0.3"))).isEqualTo("172.29.0.2");
    }

    @Test
    void nullsAndAddressesOutsideTheSubnetAreIgnored() {
        List<String> taken = new ArrayList<>(Arrays.asList(null, "10.0.0.2", "172.29.1.2", "172.29.0.2"));
        assertThat(Allocation.guestAddress(DEFAULT, taken)).isEqualTo("172.29.0.3");
    }

    @Test
    void aMalformedTakenAddressIsAnError() {
        assertThatThrownBy(() -> Allocation.guestAddress(DEFAULT, List.of("not-an-ip")))
                .isInstanceOf(BangerException.class).hasMessageContaining("not-an-ip");
    }

    @Property(tries = 50)
    void allocatingToCapacityYieldsDistinctGuestAddressesThenExhaustion(@ForAll int address,
                                                                        @ForAll @IntRange(min = 24, max = 29) int prefix) {
        Ipv4Subnet subnet = new Ipv4Subnet(address & (-1 << (32 - prefix)), prefix);
        Set<String> reserved = Set.of(Ipv4Subnet.format(subnet.network()), Ipv4Subnet.format(subnet.gateway()),
                Ipv4Subnet.format(subnet.broadcast()));
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < subnet.guestCapacity(); i++) {
            String next = Allocation.guestAddress(subnet, taken);
            assertThat(reserved).doesNotContain(next);
            assertThat(subnet.contains(Ipv4Subnet.parseAddress(next))).isTrue();
            assertThat(taken).doesNotContain(next);
            // Allocation in order: each is the next address up.
            assertThat(Ipv4Subnet.parseAddress(next)).isEqualTo(subnet.firstGuest() + i);
            taken.add(next);
        }
        assertThat(new HashSet<>(taken)).hasSize(subnet.guestCapacity());
        assertThatThrownBy(() -> Allocation.guestAddress(subnet, taken))
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
                .hasMessageContaining("no free guest address in " + subnet)
                .hasMessageContaining(subnet.guestCapacity() + " addresses")
                .hasMessageContaining("network.subnet");
    }

    @Property
    void theResultIsTheLowestFreeGuest(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 40) Integer> offsets) {
        Ipv4Subnet subnet = Ipv4Subnet.parse("10.20.30.0/26"); // guests .2 - .62
        List<String> taken = offsets.stream().map(o -> Ipv4Subnet.format(subnet.network() + o)).toList();
        String got = Allocation.guestAddress(subnet, taken);
        int a = Ipv4Subnet.parseAddress(got);
        assertThat(taken).doesNotContain(got);
        assertThat(a).isBetween(subnet.firstGuest(), subnet.lastGuest());
        for (int lower = subnet.firstGuest(); lower < a; lower++) {
            assertThat(taken).contains(Ipv4Subnet.format(lower));
        }
    }

    @Test
    void exhaustedSmallestSubnet() {
        Ipv4Subnet s = Ipv4Subnet.parse("10.0.0.0/29");
        List<String> all = List.of("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6");
        assertThatThrownBy(() -> Allocation.guestAddress(s, all))
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
        // The gateway, network and broadcast being "taken" changes nothing.
        assertThat(Allocation.guestAddress(s, List.of("10.0.0.0", "10.0.0.1", "10.0.0.7"))).isEqualTo("10.0.0.2");
    }

    @Test
    void vsockCidStartsAtThree() {
        assertThat(Allocation.FIRST_CID).isEqualTo(3);
        assertThat(Allocation.vsockCid(List.of())).isEqualTo(3);
        assertThat(Allocation.vsockCid(List.of(0L, 1L, 2L))).isEqualTo(3);
    }

    @Test
    void vsockCidIsTheLowestFree() {
        assertThat(Allocation.vsockCid(List.of(3L, 4L, 6L))).isEqualTo(5);
        assertThat(Allocation.vsockCid(List.of(4L, 5L))).isEqualTo(3);
        assertThat(Allocation.vsockCid(List.of(3L, 4L, 5L))).isEqualTo(6);
    }

    @Property
    void vsockCidIsAlwaysTheLowestFreeAtOrAboveThree(@ForAll @Size(max = 60) Set<@LongRange(min = 0, max = 50) Long> taken) {
        long cid = Allocation.vsockCid(taken);
        assertThat(cid).isGreaterThanOrEqualTo(3).isLessThanOrEqualTo(Allocation.MAX_CID);
        assertThat(taken).doesNotContain(cid);
        for (long lower = 3; lower < cid; lower++) {
            assertThat(taken).contains(lower);
        }
    }

    @Test
    void repeatedCidAllocationIsDistinct() {
        List<Long> taken = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            taken.add(Allocation.vsockCid(taken));
        }
        assertThat(new HashSet<>(taken)).hasSize(200);
        assertThat(taken.getFirst()).isEqualTo(3);
        assertThat(taken.getLast()).isEqualTo(202);
    }
}
