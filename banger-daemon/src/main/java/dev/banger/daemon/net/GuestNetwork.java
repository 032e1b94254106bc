package dev.banger.daemon.net;

import dev.banger.core.Ipv4Subnet;
import java.util.List;

/**
 * What the VM lifecycle needs of the host's network for its guests: the bridge with the gateway address
 * (and NAT, DNS, the guard) set up on first need, a tap per running VM, and the taps that exist. The real
 * one is {@link HostNetworking}; tests that need no root give a fake.
 */
public interface GuestNetwork {
    String bridge();

    Ipv4Subnet subnet();

    /** The gateway address (the bridge's), dotted. */
    String gateway();

    /** Bridge, NAT, guard and DNS as configured; cheap once done. */
    void ensure();

    /** A tap on the bridge. */
    void createTap(String tap);

    /** Removes a tap; a missing one is already removed. */
    void deleteTap(String tap);

    /** banger's taps present on the host now. */
    List<String> taps();

    /** banger's taps that no process holds open: the only ones reconcile may remove. */
    List<String> idleTaps();
}
