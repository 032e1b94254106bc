package dev.banger.core.net;

import dev.banger.core.Ipv4Subnet;
import java.util.List;

/**
 * The argv of every {@code ip} and {@code nft} command banger runs. Names are validated here, before any
 * command exists, and always follow an explicit {@code name}/{@code dev} keyword so {@code ip} never reads
 * one as a keyword of its own (a bridge called "help" or "type" is then just a name).
 */
public final class NetCommands {
    /** banger's NAT table; everything NAT-related lives in it and goes with it. The guard has its own, {@link GuestGuard#TABLE}. */
    public static final String NFT_TABLE = "banger";
    /** Written by the host layer through /proc/sys (never a shell), only ever switched on. */
    public static final String IP_FORWARD_SYSCTL = "net.ipv4.ip_forward";

    private NetCommands() {
    }

    /** Every link with its details (kind, master, tap type) and addresses: one JSON array, see {@link LinkState}. */
    public static List<String> observe() {
        return List.of("ip", "-j", "-d", "addr", "show");
    }

    /**
     * Creates the bridge with a fixed MAC address. Without one, Linux gives a bridge the lowest MAC of its
     * ports, so it would change whenever a VM's tap comes or goes and every guest's ARP entry for the
     * gateway would go stale; an address set by hand is never changed by the kernel.
     */
    public static List<String> addBridge(String bridge, Ipv4Subnet subnet) {
        return List.of("ip", "link", "add", "name", InterfaceNames.validate(bridge), "address", bridgeMac(subnet),
                "type", "bridge");
    }

    public static List<String> setMac(String link, String mac) {
        return List.of("ip", "link", "set", "dev", InterfaceNames.validate(link), "address", mac);
    }

    /** The gateway address (first host of the subnet) with the subnet's prefix and broadcast. */
    public static List<String> addGatewayAddress(String bridge, Ipv4Subnet subnet) {
        return List.of("ip", "addr", "add", Ipv4Subnet.format(subnet.gateway()) + "/" + subnet.prefix(),
                "brd", "+", "dev", InterfaceNames.validate(bridge));
    }

    public static List<String> deleteAddress(String link, int address, int prefix) {
        return List.of("ip", "addr", "del", Ipv4Subnet.format(address) + "/" + prefix, "dev", InterfaceNames.validate(link));
    }

    public static List<String> linkUp(String link) {
        return List.of("ip", "link", "set", "dev", InterfaceNames.validate(link), "up");
    }

    public static List<String> addTap(String tap) {
        return List.of("ip", "tuntap", "add", "dev", InterfaceNames.validate(tap), "mode", "tap");
    }

    /** Puts the tap on the bridge and brings it up, in one command. */
    public static List<String> attachTap(String tap, String bridge) {
        return List.of("ip", "link", "set", "dev", InterfaceNames.validate(tap), "master", InterfaceNames.validate(bridge), "up");
    }

    /** Takes the tap off whatever bridge it is on (a restored guest's tap stays off the bridge until it is re-identified). */
    public static List<String> detachTap(String tap) {
        return List.of("ip", "link", "set", "dev", InterfaceNames.validate(tap), "nomaster");
    }

    /**
     * Forgets what the host learned about {@code address} on {@code bridge} (its MAC): a VM that takes over
     * the address of a deleted one would otherwise get no traffic until the stale entry times out.
     */
    public static List<String> forgetNeighbour(String bridge, String address) {
        return List.of("ip", "neigh", "flush", "to", Ipv4Subnet.format(Ipv4Subnet.parseAddress(address)), "dev", InterfaceNames.validate(bridge));
    }

    /** Deletes a tap or a bridge (a bridge's ports are detached, not deleted, by the kernel). */
    public static List<String> deleteLink(String link) {
        return List.of("ip", "link", "del", "dev", InterfaceNames.validate(link));
    }

    /**
     * Outbound NAT as one atomic nft transaction that replaces the whole {@code banger} table ("add" makes
     * sure there is one to delete, so the same command works the first time and every time after):
     * <ul>
     *   <li>postrouting: traffic from the subnet leaving by any interface except the bridge is masqueraded
     *       (guest to guest and guest to host stay unmasqueraded);</li>
     *   <li>forward: forwarding from the bridge is accepted and so are replies back to it; connections that
     *       others start towards the guests are dropped, so enabling ip_forward does not expose them to the
     *       LAN. (An accept here cannot override a drop in another table, e.g. Docker's FORWARD policy; that
     *       is the doctor's to explain.)</li>
     * </ul>
     * The script is one argv element built only from a validated name and a formatted subnet.
     */
    public static List<String> natOn(String bridge, Ipv4Subnet subnet) {
        String br = "\"" + InterfaceNames.validate(bridge) + "\"";
        String script = "add table ip " + NFT_TABLE + "; delete table ip " + NFT_TABLE + "; "
                + "table ip " + NFT_TABLE + " { "
                + "chain postrouting { type nat hook postrouting priority srcnat; policy accept; "
                + "ip saddr " + subnet + " oifname != " + br + " masquerade; }; "
                + "chain forward { type filter hook forward priority filter; policy accept; "
                + "iifname " + br + " accept; "
                + "oifname " + br + " ct state established,related accept; "
                + "oifname " + br + " drop; }; "
                + "}";
        return List.of("nft", script);
    }

    /** Removes the table if it is there; succeeds when it is not (nft 1.0.6 has no "destroy"). */
    public static List<String> natOff() {
        return List.of("nft", "add table ip " + NFT_TABLE + "; delete table ip " + NFT_TABLE);
    }

    /** Puts up (or replaces, atomically) the guard of the host against its guests: see {@link GuestGuard}. */
    public static List<String> guardOn(String bridge, Ipv4Subnet subnet) {
        return List.of("nft", GuestGuard.script(bridge, subnet));
    }

    /** Removes the guard table if it is there; succeeds when it is not. */
    public static List<String> guardOff() {
        return List.of("nft", GuestGuard.removal());
    }

    /** Lists nft tables as JSON, to tell whether banger's tables exist. */
    public static List<String> listNftTables() {
        return List.of("nft", "-j", "list", "tables");
    }

    /**
     * The bridge's fixed MAC: 02 (locally administered, unicast), 0x62 ('b'), then the gateway's four
     * octets, so it is stable across restarts and differs between subnets.
     */
    public static String bridgeMac(Ipv4Subnet subnet) {
        int g = subnet.gateway();
        return String.format("02:62:%02x:%02x:%02x:%02x", (g >>> 24) & 0xff, (g >>> 16) & 0xff, (g >>> 8) & 0xff, g & 0xff);
    }
}
