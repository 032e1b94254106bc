package dev.banger.core.net;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Ipv4Subnet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What to run so that the bridge exists as wanted, given what the host has: only the missing steps, so
 * running the plan again after it succeeded (or after a crash halfway) does nothing or finishes the job.
 */
public final class BridgePlan {
    private BridgePlan() {
    }

    public static List<List<String>> steps(LinkState observed, BridgeSpec wanted) {
        String name = wanted.name();
        checkNoOverlap(observed, wanted);
        Optional<LinkState.Link> existing = observed.link(name);
        List<List<String>> steps = new ArrayList<>();
        if (existing.isEmpty()) {
            steps.add(NetCommands.addBridge(name, wanted.subnet()));
            steps.add(NetCommands.addGatewayAddress(name, wanted.subnet()));
            steps.add(NetCommands.linkUp(name));
            return steps;
        }
        LinkState.Link link = existing.get();
        if (!link.isBridge()) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "interface " + name + " exists and is "
                    + link.describe() + ", not a bridge: banger will not touch it; set network.bridge in config.toml"
                    + " to another name");
        }
        if (!wanted.mac().equals(link.mac())) {
            steps.add(NetCommands.setMac(name, wanted.mac()));
        }
        // The bridge is banger's: an address from an earlier subnet would keep routing that old range here.
        LinkState.Ipv4Address gateway = wanted.gatewayAddress();
        for (LinkState.Ipv4Address a : link.ipv4()) {
            if (!a.equals(gateway)) {
                steps.add(NetCommands.deleteAddress(name, a.address(), a.prefix()));
            }
        }
        if (!link.ipv4().contains(gateway)) {
            steps.add(NetCommands.addGatewayAddress(name, wanted.subnet()));
        }
        if (!link.adminUp()) {
            steps.add(NetCommands.linkUp(name));
        }
        return steps;
    }

    /**
     * Refuses a subnet that overlaps an address on another link: the bridge's more specific route would
     * quietly take part of that network (often the LAN or a VPN) away from the host.
     */
    static void checkNoOverlap(LinkState observed, BridgeSpec wanted) {
        Ipv4Subnet s = wanted.subnet();
        for (LinkState.Link l : observed.links().values()) {
            if (l.name().equals(wanted.name())) {
                continue;
            }
            for (LinkState.Ipv4Address a : l.ipv4()) {
                if (overlaps(s, a)) {
                    throw new BangerException(ErrorCode.FAILED_PRECONDITION, "subnet " + s + " overlaps " + a + " on "
                            + l.name() + ": set network.subnet in config.toml to a range this host does not use"
                            + " (e.g. 172.29.0.0/24 or 10.201.0.0/24)");
                }
            }
        }
    }

    static boolean overlaps(Ipv4Subnet s, LinkState.Ipv4Address a) {
        int p = Math.min(s.prefix(), a.prefix());
        int mask = p == 0 ? 0 : -1 << (32 - p);
        return (s.network() & mask) == (a.address() & mask);
    }
}
