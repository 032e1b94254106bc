package dev.banger.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The guest's default IPv4 gateway, from /proc/net/route (the kernel's table; no program started). */
final class Routes {
    private Routes() {
    }

    static Optional<InetAddress> defaultGateway() {
        try {
            return defaultGateway(Files.readString(Path.of("/proc/net/route")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The gateway of the first default route (destination and mask 0) in /proc/net/route's text; its
     * addresses are hex in the kernel's (little-endian) byte order.
     */
    static Optional<InetAddress> defaultGateway(String table) {
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[1].equals("00000000") || !f[7].equals("00000000") || !f[2].matches("[0-9A-Fa-f]{8}")) {
                continue;
            }
            long v = Long.parseLong(f[2], 16);
            if (v == 0) {
                continue;
            }
            byte[] addr = {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
            try {
                return Optional.of(InetAddress.getByAddress(addr));
            } catch (UnknownHostException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
