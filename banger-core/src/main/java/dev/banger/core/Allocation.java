package dev.banger.core;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Pure allocation of per-VM numbers: the lowest free guest address and vsock CID. The caller serialises
 * allocation with the insert that claims the value (and the store's UNIQUE constraints back that up).
 */
public final class Allocation {
    /** CIDs 0-2 are reserved (hypervisor, local, host). */
    public static final long FIRST_CID = 3;
    public static final long MAX_CID = 0xFFFF_FFFEL;

    private Allocation() {
    }

    public static String guestAddress(Ipv4Subnet subnet, Collection<String> taken) {
        Set<Integer> used = new HashSet<>();
        for (String ip : taken) {
            if (ip != null) {
                used.add(Ipv4Subnet.parseAddress(ip));
            }
        }
        for (long a = Integer.toUnsignedLong(subnet.firstGuest()); a <= Integer.toUnsignedLong(subnet.lastGuest()); a++) {
            if (!used.contains((int) a)) {
                return Ipv4Subnet.format((int) a);
            }
        }
        throw new BangerException(ErrorCode.RESOURCE_EXHAUSTED, "no free guest address in " + subnet + " ("
                + subnet.guestCapacity() + " addresses, all taken): delete unused VMs or set a larger network.subnet in config.toml");
    }

    public static long vsockCid(Collection<Long> taken) {
        Set<Long> used = new HashSet<>(taken);
        for (long cid = FIRST_CID; cid <= MAX_CID; cid++) {
            if (!used.contains(cid)) {
                return cid;
            }
        }
        throw new BangerException(ErrorCode.RESOURCE_EXHAUSTED, "no free vsock CID");
    }
}
