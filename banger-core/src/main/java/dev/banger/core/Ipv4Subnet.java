package dev.banger.core;

import dev.banger.api.BangerException;

/**
 * An IPv4 subnet in CIDR form, parsed without touching the network (no InetAddress look-ups). The first
 * host address is the bridge's gateway; guests get the rest, the broadcast address excluded.
 */
public record Ipv4Subnet(int network, int prefix) {
    public Ipv4Subnet {
        if (prefix < 16 || prefix > 29) {
            throw BangerException.invalid("subnet prefix /" + prefix + " is not supported: use /16 to /29");
        }
        if ((network & ~mask(prefix)) != 0) {
            throw BangerException.invalid("subnet " + format(network) + "/" + prefix
                    + " has host bits set: did you mean " + format(network & mask(prefix)) + "/" + prefix + "?");
        }
    }

    public static Ipv4Subnet parse(String cidr) {
        if (cidr == null) {
            throw BangerException.invalid("subnet is missing: give one like 172.29.0.0/24");
        }
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw BangerException.invalid("subnet '" + cidr + "' has no prefix length: give one like 172.29.0.0/24");
        }
        String prefixText = cidr.substring(slash + 1);
        if (prefixText.isEmpty() || prefixText.length() > 2 || !asciiDigits(prefixText)) {
            throw BangerException.invalid("subnet '" + cidr + "' has an invalid prefix length");
        }
        int prefix = Integer.parseInt(prefixText);
        return new Ipv4Subnet(parseAddress(cidr.substring(0, slash)), prefix);
    }

    /** Parses dotted-quad notation strictly: four decimal octets 0-255, no leading '+', no spaces. */
    public static int parseAddress(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw BangerException.invalid("'" + text + "' is not an IPv4 address (need four octets such as 172.29.0.1)");
        }
        int value = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !asciiDigits(p)) {
                throw BangerException.invalid("'" + text + "' is not an IPv4 address");
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                throw BangerException.invalid("'" + text + "' is not an IPv4 address (octet " + octet + " > 255)");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    /** Only 0-9: Character.isDigit and Integer.parseInt also accept other scripts' digits. */
    static boolean asciiDigits(String s) {
        return s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    public static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    public int gateway() {
        return network + 1;
    }

    public int broadcast() {
        return network | ~mask(prefix);
    }

    /** Addresses a guest may take: after the gateway, before the broadcast address. */
    public int firstGuest() {
        return network + 2;
    }

    public int lastGuest() {
        return broadcast() - 1;
    }

    public int guestCapacity() {
        return lastGuest() - firstGuest() + 1;
    }

    public boolean contains(int address) {
        return (address & mask(prefix)) == network;
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefix;
    }
}
