package dev.banger.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A restored guest's NIC given its own MAC, address and default route by the kernel's classic interface ioctls on
 * an AF_INET datagram socket, instead of a program: under TCG a freshly restored guest pays for every program it
 * starts (its code is translated afresh), and {@code ip} cost 0.2-0.4 s there; these are a few system calls through
 * the agent's one ioctl shape. The steps are the batch's ({@link Identity#batch}): link down (which also drops the
 * device's neighbours, its routes and its IPv6 link-local address, made again from the new MAC at up), the MAC, up,
 * the address (SIOCSIFADDR replaces the primary one: the parent's goes), the netmask, the default route.
 * Layouts are x86-64 Linux's: struct ifreq (40 bytes), struct sockaddr_in, struct rtentry (120 bytes).
 */
final class NetIoctls {
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int ARPHRD_ETHER = 1;
    private static final int IFF_UP = 0x1;
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final long SIOCSIFADDR = 0x8916;
    private static final long SIOCSIFNETMASK = 0x891c;
    private static final long SIOCSIFHWADDR = 0x8924;
    private static final long SIOCADDRT = 0x890B;
    private static final int EEXIST = 17;
    private static final short RTF_UP = 0x1;
    private static final short RTF_GATEWAY = 0x2;
    private static final int IFREQ_BYTES = 40;
    private static final int IFNAMSIZ = 16;
    private static final int RTENTRY_BYTES = 120;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private static final class Calls { // linked at the first re-addressing, not at the agent's start
        static final Libc.Fn SOCKET = Libc.fn("socket");
    }

    private NetIoctls() {
    }

    /** Re-addresses {@code nic}: MAC {@code mac}, {@code address} ("a.b.c.d/n"), default route via {@code gateway}. */
    static void readdress(String nic, String mac, String address, String gateway) throws IOException {
        int slash = address.indexOf('/');
        byte[] ip = ipv4(address.substring(0, slash));
        byte[] mask = netmask(Integer.parseInt(address.substring(slash + 1)));
        byte[] gw = ipv4(gateway);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            int fd = (int) Calls.SOCKET.call(state, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            Libc.check(fd, state, "socket(AF_INET)");
            try {
                MemorySegment ifr = ifreq(arena, nic);
                ioctl(state, fd, SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS " + nic);
                short flags = ifr.get(SHORT, IFNAMSIZ);
                ifr.set(SHORT, IFNAMSIZ, (short) (flags & ~IFF_UP));
                ioctl(state, fd, SIOCSIFFLAGS, ifr, "taking " + nic + " down");

                MemorySegment hw = ifreq(arena, nic);
                hw.set(SHORT, IFNAMSIZ, (short) ARPHRD_ETHER);
                MemorySegment.copy(mac(mac), 0, hw, ValueLayout.JAVA_BYTE, IFNAMSIZ + 2, 6);
                ioctl(state, fd, SIOCSIFHWADDR, hw, "setting " + nic + "'s MAC");

                MemorySegment up = ifreq(arena, nic);
                up.set(SHORT, IFNAMSIZ, (short) (flags | IFF_UP));
                ioctl(state, fd, SIOCSIFFLAGS, up, "bringing " + nic + " up");

                MemorySegment addr = ifreq(arena, nic);
                sockaddrIn(addr, IFNAMSIZ, ip);
                ioctl(state, fd, SIOCSIFADDR, addr, "setting " + nic + "'s address");
                MemorySegment nm = ifreq(arena, nic);
                sockaddrIn(nm, IFNAMSIZ, mask);
                ioctl(state, fd, SIOCSIFNETMASK, nm, "setting " + nic + "'s netmask");

                MemorySegment rt = arena.allocate(RTENTRY_BYTES, 8);
                sockaddrIn(rt, 8, new byte[4]);   // rt_dst 0.0.0.0
                sockaddrIn(rt, 24, gw);           // rt_gateway
                sockaddrIn(rt, 40, new byte[4]);  // rt_genmask 0.0.0.0
                rt.set(SHORT, 56, (short) (RTF_UP | RTF_GATEWAY));
                rt.set(ValueLayout.ADDRESS, 88, arena.allocateFrom(nic)); // rt_dev: by the NIC, as `dev NIC`
                int rc = Libc.ioctl(state, fd, SIOCADDRT, rt);
                if (rc < 0 && Libc.errno(state) != EEXIST) {
                    throw new IOException("adding the default route via " + gateway + ": errno " + Libc.errno(state));
                }
            } finally {
                Libc.CLOSE.call(state, fd);
            }
        }
    }

    /**
     * Links and loads what {@link #readdress} uses, changing nothing (the agent's warm-up): a socket, SIOCGIFFLAGS of
     * lo (a read), the conversions on stand-in values. Answers lo's flags.
     */
    static int warm() throws IOException {
        ipv4("172.29.0.2");
        netmask(24);
        mac("02:00:00:00:00:01");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            int fd = (int) Calls.SOCKET.call(state, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            Libc.check(fd, state, "socket(AF_INET)");
            try {
                MemorySegment ifr = ifreq(arena, "lo");
                ioctl(state, fd, SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS lo");
                MemorySegment rt = arena.allocate(RTENTRY_BYTES, 8);
                sockaddrIn(rt, 8, new byte[4]);
                rt.set(ValueLayout.ADDRESS, 88, arena.allocateFrom("lo"));
                return ifr.get(SHORT, IFNAMSIZ);
            } finally {
                Libc.CLOSE.call(state, fd);
            }
        }
    }

    private static void ioctl(MemorySegment state, int fd, long request, MemorySegment arg, String what) throws IOException {
        if (Libc.ioctl(state, fd, request, arg) < 0) {
            throw new IOException(what + ": errno " + Libc.errno(state));
        }
    }

    /** A zeroed struct ifreq with {@code nic} in ifr_name (checked by the request: at most 15 bytes). */
    private static MemorySegment ifreq(Arena arena, String nic) {
        MemorySegment ifr = arena.allocate(IFREQ_BYTES, 8);
        byte[] name = nic.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(name, 0, ifr, ValueLayout.JAVA_BYTE, 0, Math.min(name.length, IFNAMSIZ - 1));
        return ifr;
    }

    /** struct sockaddr_in at {@code offset}: AF_INET, port 0, the address in network order. */
    private static void sockaddrIn(MemorySegment s, long offset, byte[] addr) {
        s.set(SHORT, offset, (short) AF_INET);
        MemorySegment.copy(addr, 0, s, ValueLayout.JAVA_BYTE, offset + 4, 4);
    }

    static byte[] ipv4(String dotted) {
        String[] parts = dotted.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(parts[i]);
        }
        return b;
    }

    static byte[] netmask(int prefix) {
        int m = prefix == 0 ? 0 : -1 << (32 - prefix);
        return new byte[] {(byte) (m >>> 24), (byte) (m >>> 16), (byte) (m >>> 8), (byte) m};
    }

    static byte[] mac(String mac) {
        String[] parts = mac.split(":");
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }
}
