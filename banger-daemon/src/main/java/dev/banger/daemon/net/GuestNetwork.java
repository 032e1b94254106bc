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

    /**
     * A tap on the bridge for a guest at {@code guestIp}; the host forgets any neighbour entry it kept for
     * that address (an earlier VM's MAC would blackhole the new guest's traffic for seconds).
     */
    void createTap(String tap, String guestIp);

    /**
     * A tap on no bridge, for a guest restored from a snapshot: until its agent has re-identified it, its frames
     * carry its parent's MAC, addresses and TCP state. {@link #createTap} later puts the same tap on the bridge.
     */
    void createIsolatedTap(String tap);

    /** Removes a tap; a missing one is already removed. */
    void deleteTap(String tap);

    /** banger's taps present on the host now. */
    List<String> taps();

    /** banger's taps that no process holds open: the only ones reconcile may remove. */
    List<String> idleTaps();
}
