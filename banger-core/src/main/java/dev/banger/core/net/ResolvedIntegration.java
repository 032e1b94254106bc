package dev.banger.core.net;

import dev.banger.core.Ipv4Subnet;
import java.util.List;

/**
 * How the host's resolver learns that {@code .vm} names are answered by banger's DNS server on the bridge
 * gateway. With systemd-resolved, {@code ~vm} becomes a routing-only domain of the bridge link, so only
 * .vm queries go there; anything else asks the host for a line in its own resolver's configuration.
 */
public final class ResolvedIntegration {
    /** What the host layer found: whether systemd-resolved runs and whether its CLI is installed. */
    public record Facts(boolean resolvedRunning, boolean resolvectlPresent) {
    }

    public sealed interface Decision permits Configure, Advise {
    }

    /** Run these, in order, after the bridge exists (resolved forgets them when the link goes away). */
    public record Configure(List<List<String>> commands) implements Decision {
        public Configure {
            commands = List.copyOf(commands);
        }
    }

    /** Nothing to run: show this to the user ({@code banger doctor}). */
    public record Advise(String text) implements Decision {
    }

    private ResolvedIntegration() {
    }

    /**
     * The order matters: the routing domain and "no default route" come before the server, so there is
     * never a moment when the link has a DNS server but no routing-only domain, which resolved would
     * treat as a default route and send every lookup of the host to a server that refuses all but .vm.
     * The negative trust anchor keeps a host with DNSSEC=yes from rejecting the unsigned .vm answers.
     */
    public static Decision decide(Facts facts, String bridge, Ipv4Subnet subnet) {
        InterfaceNames.validate(bridge);
        String gateway = Ipv4Subnet.format(subnet.gateway());
        if (facts.resolvedRunning() && facts.resolvectlPresent()) {
            return new Configure(List.of(
                    List.of("resolvectl", "domain", bridge, "~vm"),
                    List.of("resolvectl", "default-route", bridge, "false"),
                    List.of("resolvectl", "nta", bridge, "vm"),
                    List.of("resolvectl", "dns", bridge, gateway)));
        }
        return new Advise(advice(facts.resolvedRunning()
                ? "systemd-resolved is running but resolvectl is not installed (Debian: apt install systemd-resolved)"
                : "systemd-resolved is not running", bridge, subnet));
    }

    /** The advice for a host that does not route .vm to banger, {@code why} saying what was found. */
    public static String advice(String why, String bridge, Ipv4Subnet subnet) {
        String gateway = Ipv4Subnet.format(subnet.gateway());
        return ".vm names are answered by banger's DNS server at " + gateway + " port 53, but this host"
                + " does not send .vm lookups there: " + why + ". Pick one:\n"
                + "  - dnsmasq: put 'server=/vm/" + gateway + "' in /etc/dnsmasq.d/banger.conf and restart dnsmasq\n"
                + "  - unbound: add 'forward-zone: name: \"vm.\" forward-addr: " + gateway + "' and"
                + " 'domain-insecure: \"vm.\"' to unbound.conf and reload it\n"
                + "  - systemd-resolved: enable and start it (systemctl enable --now systemd-resolved), then restart"
                + " bangerd, which routes ~vm to " + gateway + " on " + InterfaceNames.validate(bridge) + " by itself\n"
                + "Meanwhile query it directly (dig @" + gateway + " NAME.vm) or use the VM's address from 'banger vm list'.";
    }

    /** Undoes {@link #decide}'s commands on the link (also undone by resolved when the bridge is deleted). */
    public static List<String> revert(String bridge) {
        return List.of("resolvectl", "revert", InterfaceNames.validate(bridge));
    }
}
