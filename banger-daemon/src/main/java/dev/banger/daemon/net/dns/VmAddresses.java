package dev.banger.daemon.net.dns;

import java.util.Optional;

/**
 * The live source of the DNS server's records, implemented by the daemon over its VM records: asked on
 * every query, so a VM answers as soon as it exists and stops answering once it is gone.
 */
@FunctionalInterface
public interface VmAddresses {
    /** The guest's IPv4 address (dotted quad) of the VM named {@code vmName} (a lowercase DNS label). */
    Optional<String> addressOf(String vmName);
}
