package dev.banger.daemon.net;

import dev.banger.core.BangerConfig;
import dev.banger.core.Ipv4Subnet;
import dev.banger.daemon.net.dns.DnsAnswers;
import dev.banger.daemon.net.dns.DnsServer;
import dev.banger.daemon.net.dns.VmAddresses;
import dev.banger.host.net.NetworkHost;
import dev.banger.host.net.ResolvedSetup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.logging.Logger;

/**
 * The host side of VM networking, set up on first need (not at daemon start, so a daemon that never
 * boots a VM never touches the host's network): the guard that keeps guests from opening connections
 * to the host ({@code core.net.GuestGuard}), the bridge with the gateway address, NAT when the config
 * asks, the .vm DNS server on the gateway, resolved routing of ~vm. Idempotent; `teardown` undoes it.
 */
public final class HostNetworking implements GuestNetwork, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HostNetworking.class.getName());
    static final int DNS_PORT = 53;

    private final NetworkHost network;
    private final BangerConfig.Settings settings;
    private final VmAddresses addresses;
    private DnsServer dns;
    /** Whether ensure() has set everything up since the daemon started or last tore it down. */
    private boolean ready;

    public HostNetworking(NetworkHost network, BangerConfig.Settings settings, VmAddresses addresses) {
        this.network = network;
        this.settings = settings;
        this.addresses = addresses;
    }

    @Override
    public String bridge() {
        return settings.bridge();
    }

    @Override
    public Ipv4Subnet subnet() {
        return settings.subnet();
    }

    @Override
    public String gateway() {
        return Ipv4Subnet.format(settings.subnet().gateway());
    }

    /**
     * Guard, bridge, NAT and DNS as configured. Checked against the host once per daemon life (and again
     * after a teardown, or when a tap cannot join the bridge): a VM start need not pay for five commands.
     * The guard comes first, so the bridge never exists unguarded.
     */
    @Override
    public synchronized void ensure() {
        if (ready) {
            return;
        }
        network.guardGuests(settings.bridge(), settings.subnet());
        network.ensureBridge(settings.bridge(), settings.subnet());
        network.setNat(settings.bridge(), settings.subnet(), settings.nat());
        if (dns == null) {
            try {
                DnsAnswers.Wildcard e2b = e2bWildcard();
                dns = DnsServer.start(new InetSocketAddress(gateway(), DNS_PORT), new DnsAnswers(addresses, e2b));
                LOG.info("answering <name>.vm on " + gateway() + ":" + DNS_PORT
                        + (e2b == null ? "" : ", and *." + settings.e2b().domain() + " with " + e2b.address().getHostAddress()));
            } catch (IOException e) {
                // VMs still work by address; say why names do not.
                LOG.warning("cannot serve .vm names on " + gateway() + ":" + DNS_PORT + ": " + e.getMessage());
            }
            ResolvedSetup.direct().routeVmDomain(settings.bridge(), settings.subnet()).ifPresent(LOG::info);
        }
        ready = true;
    }

    /**
     * With the E2B listener on, every name under its domain resolves to it (the SDK's {@code PORT-ID.DOMAIN}, routed by
     * Host): its listen address, or the bridge's gateway when it listens on all addresses (0.0.0.0 or ::), an address of
     * this host that the host and its guests alike reach.
     */
    private DnsAnswers.Wildcard e2bWildcard() {
        if (!settings.e2b().enabled()) {
            return null;
        }
        try {
            InetAddress listen = InetAddress.getByName(settings.e2b().host());
            InetAddress address = listen.isAnyLocalAddress() || !(listen instanceof java.net.Inet4Address)
                    ? InetAddress.getByName(gateway()) : listen;
            return DnsAnswers.Wildcard.of(settings.e2b().domain(), address);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warning("not answering *." + settings.e2b().domain() + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * A tap on the bridge; if that fails (the bridge was removed behind banger's back), the bridge is set up
     * again once. The guard is put up again first, every time (one nft command): a firewall reload that
     * flushed the ruleset must not leave a new guest unguarded.
     */
    @Override
    public void createTap(String tap, String guestIp) {
        network.guardGuests(settings.bridge(), settings.subnet());
        try {
            network.createTap(tap, settings.bridge());
        } catch (RuntimeException e) {
            synchronized (this) {
                ready = false;
            }
            network.deleteTap(tap);
            ensure();
            network.createTap(tap, settings.bridge());
        }
        network.forgetNeighbour(settings.bridge(), guestIp);
    }

    @Override
    public void createIsolatedTap(String tap) {
        network.createIsolatedTap(tap);
    }

    @Override
    public void deleteTap(String tap) {
        network.deleteTap(tap);
    }

    /** banger's taps present on the host now (one {@code ip} call), for sweeping those no running VM owns. */
    @Override
    public List<String> taps() {
        return network.listTaps(dev.banger.core.net.InterfaceNames.TAP_PREFIX);
    }

    /** banger's taps that no process holds open (see {@code LinkState.idleTapNames}): the only ones reconcile may remove. */
    @Override
    public List<String> idleTaps() {
        return network.listIdleTaps(dev.banger.core.net.InterfaceNames.TAP_PREFIX);
    }

    /**
     * Removes what {@link #ensure} made: the DNS server, banger's taps, the bridge, the NAT and guard
     * tables. The bridge's resolved settings go with the link. Idempotent.
     */
    public synchronized void teardown() {
        ready = false;
        close();
        network.teardown(settings.bridge());
        LOG.info("removed bridge " + settings.bridge() + ", its taps and banger's nft tables");
    }

    @Override
    public synchronized void close() {
        if (dns != null) {
            dns.close();
            dns = null;
        }
    }
}
