package dev.banger.core.vm;

import dev.banger.core.Ipv4Subnet;
import dev.banger.core.VmIds;
import dev.banger.core.net.InterfaceNames;
import java.util.regex.Pattern;

/**
 * A VM's network identity, derived from its 12-hex-digit id so it never needs storing: the same id gives
 * the same tap and MAC after a daemon restart, which is how reconcile recognises them.
 *
 * <ul>
 *   <li>tap device {@code bgr} + id: exactly 15 characters, the kernel's limit (IFNAMSIZ 16 with the NUL);
 *       the prefix marks banger's taps so a sweep never touches anyone else's.</li>
 *   <li>MAC {@code 02:} + the id's last 5 bytes: 0x02 sets the locally-administered bit and clears the
 *       multicast bit, so it never collides with a vendor's address and is a valid unicast source.
 *       Two ids that differ only in their first byte share a MAC: with random 48-bit ids that is a
 *       1-in-2^40 chance per pair; whoever allocates ids should treat an id whose {@link #mac} an
 *       existing VM already has as taken.</li>
 * </ul>
 */
public final class VmNetwork {
    /** The same prefix the network layer sweeps by: {@link InterfaceNames#TAP_PREFIX}. */
    public static final String TAP_PREFIX = InterfaceNames.TAP_PREFIX;
    /** IFNAMSIZ is 16 including the terminating NUL. */
    public static final int MAX_INTERFACE_NAME = 15;

    private static final Pattern TAP = Pattern.compile("[a-z0-9][a-z0-9-]{0,14}");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    private VmNetwork() {
    }

    /** {@link InterfaceNames#tapFor}, the one definition; kept here so a plan's values come from one class. */
    public static String tapName(String vmId) {
        return InterfaceNames.tapFor(checkId(vmId));
    }

    /** Whether {@code name} is a tap name banger would create (any VM's). */
    public static boolean isBangerTap(String name) {
        return name != null && name.startsWith(TAP_PREFIX) && VmIds.looksLikeId(name.substring(TAP_PREFIX.length()));
    }

    public static String mac(String vmId) {
        String id = checkId(vmId);
        StringBuilder sb = new StringBuilder("02");
        for (int i = 2; i < id.length(); i += 2) {
            sb.append(':').append(id, i, i + 2);
        }
        return sb.toString();
    }

    /** The tap names QemuPlan accepts: 1-15 of [a-z0-9-], not starting with '-' (no option, shell or path characters). */
    public static boolean isValidTapName(String name) {
        return name != null && TAP.matcher(name).matches();
    }

    /** Lowercase colon-separated, locally administered, unicast: what {@link #mac} produces, and what the guest's config drive parser accepts. */
    public static boolean isValidMac(String mac) {
        if (mac == null || !MAC.matcher(mac).matches()) {
            return false;
        }
        int first = Integer.parseInt(mac.substring(0, 2), 16);
        return (first & 0x01) == 0 && (first & 0x02) != 0;
    }

    /** The bridge's address, which guests use as their default gateway: "172.29.0.1". */
    public static String gateway(Ipv4Subnet subnet) {
        return Ipv4Subnet.format(subnet.gateway());
    }

    /** The bridge's address with the prefix, for {@code ip addr add}: "172.29.0.1/24". */
    public static String bridgeCidr(Ipv4Subnet subnet) {
        return gateway(subnet) + "/" + subnet.prefix();
    }

    /** A guest's address with the subnet's prefix, for the config drive: "172.29.0.7/24". */
    public static String guestCidr(Ipv4Subnet subnet, int guestAddress) {
        if (!subnet.contains(guestAddress) || guestAddress < subnet.firstGuest() || guestAddress > subnet.lastGuest()) {
            throw new IllegalArgumentException(Ipv4Subnet.format(guestAddress) + " is not a guest address of " + subnet);
        }
        return Ipv4Subnet.format(guestAddress) + "/" + subnet.prefix();
    }

    private static String checkId(String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw new IllegalArgumentException("not a VM id (12 lowercase hex digits): " + vmId);
        }
        return vmId;
    }
}
