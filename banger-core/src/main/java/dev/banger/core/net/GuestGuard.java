package dev.banger.core.net;

import dev.banger.core.Ipv4Subnet;
import java.util.List;

/**
 * What a guest may reach on the host: the nft script of banger's guard table ({@code inet banger_guard}).
 * A guest is untrusted, and every packet it sends to any of the host's own addresses (the gateway, the
 * host's LAN address, a docker0 address, IPv4 or IPv6) arrives through the bridge and is delivered by the
 * input hook with the bridge as its input interface. The guard's input chain lets through, from the
 * bridge, only:
 * <ul>
 *   <li>packets of connections the host opened (SSH to the guest, the agent over TCP) and the ICMP errors
 *       that belong to them ({@code ct state established,related});</li>
 *   <li>IPv6 neighbour discovery, the IPv6 counterpart of ARP (which no inet hook sees);</li>
 *   <li>the host services in {@link #SERVICES}, on the gateway address only;</li>
 * </ul>
 * and drops everything else: a connection a guest opens to the host, a ping, a broadcast or multicast
 * to the host's listeners. Only the input hook is used, so forwarded traffic is untouched: guest to
 * guest (bridged; with br_netfilter loaded it passes the forward hook, not input) and NAT to the outside
 * (the {@code ip banger} table's forward chain) stay as configured.
 */
public final class GuestGuard {
    /** The table's name; inet covers IPv4 and IPv6 in one table. */
    public static final String TABLE = "banger_guard";
    public static final String FAMILY = "inet";

    /** A port on the gateway address that guests may open connections to, and why. */
    public record Service(String protocol, int port, String why) {
        public Service {
            if (!protocol.equals("tcp") && !protocol.equals("udp")) {
                throw new IllegalArgumentException("protocol must be tcp or udp: " + protocol);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
        }
    }

    /** Everything a guest may open on the host. One line per service; all else from the bridge is dropped. */
    public static final List<Service> SERVICES = List.of(
            new Service("udp", 53, "the .vm DNS server"),
            new Service("tcp", 53, "the .vm DNS server (long answers)"));

    private GuestGuard() {
    }

    /**
     * One atomic nft transaction that replaces the whole guard table ("add" first, so the same script works
     * whether or not the table exists). The script is built only from a validated interface name, a
     * formatted address and the fixed {@link #SERVICES}.
     */
    public static String script(String bridge, Ipv4Subnet subnet) {
        String br = "iifname \"" + InterfaceNames.validate(bridge) + "\" ";
        String gateway = Ipv4Subnet.format(subnet.gateway());
        StringBuilder s = new StringBuilder()
                .append("add table ").append(FAMILY).append(' ').append(TABLE).append("; ")
                .append("delete table ").append(FAMILY).append(' ').append(TABLE).append("; ")
                .append("table ").append(FAMILY).append(' ').append(TABLE).append(" { ")
                .append("chain input { type filter hook input priority filter; policy accept; ")
                .append(br).append("ct state established,related accept; ")
                .append(br).append("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept; ");
        for (Service service : SERVICES) {
            s.append(br).append("ip daddr ").append(gateway).append(' ').append(service.protocol())
                    .append(" dport ").append(service.port()).append(" accept; ");
        }
        return s.append(br).append("drop; }; }").toString();
    }

    /** Removes the table if it is there; succeeds when it is not (nft 1.0.6 has no "destroy"). */
    public static String removal() {
        return "add table " + FAMILY + " " + TABLE + "; delete table " + FAMILY + " " + TABLE;
    }
}
