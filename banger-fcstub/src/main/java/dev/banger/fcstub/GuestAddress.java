package dev.banger.fcstub;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the vsock proxy reaches the guest: the emulated guest has no vsock device, so a host-initiated
 * vsock connection to port P becomes a TCP connection to this address, port P. Injectable, so tests can
 * point the proxy at a local server.
 */
@FunctionalInterface
public interface GuestAddress {
    /** The guest's IP address, if the configured drives tell it. */
    Optional<InetAddress> find(List<Path> drives);

    /** banger's guests: BANGER_ADDRESS in banger.env on the CIDATA config drive. */
    static GuestAddress fromConfigDrive() {
        return ConfigDriveAddress::find;
    }

    /** Always the same address (tests: a local TCP server stands in for the guest). */
    static GuestAddress fixed(InetAddress address) {
        return drives -> Optional.of(address);
    }
}
