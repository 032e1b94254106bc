package dev.banger.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The guest's listening sockets read straight from the kernel's tables ({@code /proc/net/tcp}, {@code tcp6}, {@code udp},
 * {@code udp6}): no program started, so it is cheap enough to run every second (the host's auto-publish watch) and
 * before a forwarded connection picks its address. Each table is read up to 4 MiB.
 */
final class Listeners {
    /** A bound socket: its local address and port. */
    record Bound(InetAddress address, int port) {
        boolean reachableOnLoopback() {
            return address.isAnyLocalAddress() || address.isLoopbackAddress();
        }
    }

    private static final int MAX_TABLE_BYTES = 4 << 20;
    /** TCP_LISTEN in the kernel's tcp_states; UDP sockets have no listen state: every bound one counts (TCP_CLOSE, 07). */
    private static final String TCP_LISTEN = "0A";
    private static final String UDP_BOUND = "07";
    private static final InetAddress IPV4_LOOPBACK = literal(new byte[] {127, 0, 0, 1});
    private static final InetAddress IPV6_LOOPBACK = literal(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

    private Listeners() {
    }

    /** TCP listeners, IPv4 and IPv6. */
    static List<Bound> tcp() {
        List<Bound> out = new ArrayList<>(parse(read("/proc/net/tcp"), TCP_LISTEN));
        out.addAll(parse(read("/proc/net/tcp6"), TCP_LISTEN));
        return out;
    }

    /** Bound UDP sockets with no remote peer, IPv4 and IPv6. */
    static List<Bound> udp() {
        List<Bound> out = new ArrayList<>(parse(read("/proc/net/udp"), UDP_BOUND));
        out.addAll(parse(read("/proc/net/udp6"), UDP_BOUND));
        return out;
    }

    /**
     * Where a connection to guest port {@code port} should go: loopback when a socket there is bound to a wildcard or a
     * loopback address (or nothing is bound: the service may be about to), else the first specific address it is bound to.
     */
    static InetAddress target(List<Bound> bound, int port) {
        InetAddress specific = null;
        for (Bound b : bound) {
            if (b.port() != port) {
                continue;
            }
            if (b.reachableOnLoopback()) {
                // ::1 only for a socket bound to ::1 itself; a wildcard (0.0.0.0, or :: which takes IPv4 too) and
                // 127.x are reached on 127.0.0.1
                return b.address().isLoopbackAddress() && b.address() instanceof java.net.Inet6Address ? IPV6_LOOPBACK : IPV4_LOOPBACK;
            }
            if (specific == null) {
                specific = b.address();
            }
        }
        return specific != null ? specific : IPV4_LOOPBACK;
    }

    /**
     * The rows of one table in {@code state}: {@code sl local_address rem_address st ...} with addresses as hex in the
     * kernel's byte order ({@code 0100007F:1F90} is 127.0.0.1:8080). Rows that do not parse are skipped.
     */
    static List<Bound> parse(String table, String state) {
        List<Bound> out = new ArrayList<>();
        String[] lines = table.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split("\\s+");
            if (f.length < 4 || !f[3].equalsIgnoreCase(state)) {
                continue;
            }
            int colon = f[1].indexOf(':');
            if (colon < 0) {
                continue;
            }
            try {
                InetAddress a = address(f[1].substring(0, colon));
                int port = Integer.parseInt(f[1].substring(colon + 1), 16);
                if (a != null && port > 0 && port <= 65535) {
                    out.add(new Bound(a, port));
                }
            } catch (NumberFormatException e) {
                // not a row of the table's format
            }
        }
        return out;
    }

    /** An address in /proc/net's hex: 8 digits (IPv4) or 32 (IPv6), each 32-bit word in host (little-endian) order. */
    static InetAddress address(String hex) {
        if (hex.length() != 8 && hex.length() != 32) {
            return null;
        }
        byte[] b = new byte[hex.length() / 2];
        for (int word = 0; word < b.length / 4; word++) {
            for (int k = 0; k < 4; k++) {
                int at = word * 8 + (3 - k) * 2;
                b[word * 4 + k] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static InetAddress literal(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(String file) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            return new String(in.readNBytes(MAX_TABLE_BYTES), StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return ""; // no IPv6 in this kernel, or no such table
        }
    }
}
