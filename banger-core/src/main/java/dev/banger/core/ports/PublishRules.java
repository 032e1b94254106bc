package dev.banger.core.ports;

import dev.banger.api.BangerException;
import dev.banger.api.PublishedPort;
import dev.banger.core.Text;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code --publish [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]} syntax and its rules. Pure.
 * <ul>
 *   <li>The host address defaults to 127.0.0.1: a port is on the network only when 0.0.0.0 (or another
 *       address) is asked for by name. IPv4 only, as banger's guest network is.</li>
 *   <li>One host port per protocol, whatever the address: two VMs (or two specs of one) never race for it.</li>
 * </ul>
 */
public final class PublishRules {
    public static final String DEFAULT_HOST_IP = "127.0.0.1";
    /** Enough for any service a VM offers; each is a listener in the daemon. */
    public static final int MAX_PER_VM = 64;
    private static final Pattern SPEC = Pattern.compile("(?:(\\d{1,3}(?:\\.\\d{1,3}){3}):)?(\\d{1,5}):(\\d{1,5})(?:/(tcp|udp))?");
    private static final String FORM = "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp], e.g. 8080:80 or 0.0.0.0:5353:53/udp";

    private PublishRules() {
    }

    public static PublishedPort parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw BangerException.invalid("an empty --publish: use " + FORM);
        }
        Matcher m = SPEC.matcher(spec.strip().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            throw BangerException.invalid("--publish " + Text.quote(spec) + " is not " + FORM);
        }
        String ip = m.group(1) == null ? DEFAULT_HOST_IP : checkIp(m.group(1), spec);
        int host = port(m.group(2), "host", spec);
        int guest = port(m.group(3), "guest", spec);
        return new PublishedPort(ip, host, guest, m.group(4) == null ? "tcp" : m.group(4));
    }

    /** Parses every spec and refuses a list that asks for one host port twice or has more than {@link #MAX_PER_VM}. */
    public static List<PublishedPort> parseAll(List<String> specs) {
        if (specs.size() > MAX_PER_VM) {
            throw BangerException.invalid(specs.size() + " published ports: a VM has at most " + MAX_PER_VM);
        }
        List<PublishedPort> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String s : specs) {
            PublishedPort p = parse(s);
            if (!seen.add(key(p))) {
                throw BangerException.invalid("host port " + p.hostPort() + "/" + p.protocol() + " is published twice: give each --publish its own host port");
            }
            out.add(p);
        }
        return List.copyOf(out);
    }

    /** Which published port {@code vm unpublish} means: a whole {@code --publish} spec, or only {@code HOST_PORT[/tcp|/udp]}. */
    public record Named(int hostPort, String protocol) {
    }

    private static final Pattern HOST_PORT_ONLY = Pattern.compile("(\\d{1,5})(?:/(tcp|udp))?");

    public static Named parseNamed(String spec) {
        String s = spec == null ? "" : spec.strip().toLowerCase(java.util.Locale.ROOT);
        Matcher m = HOST_PORT_ONLY.matcher(s);
        if (m.matches()) {
            return new Named(port(m.group(1), "host", spec), m.group(2) == null ? "tcp" : m.group(2));
        }
        PublishedPort p = parse(spec);
        return new Named(p.hostPort(), p.protocol());
    }

    /** What must be unique on a host: one protocol's port. */
    public static String key(PublishedPort p) {
        return p.hostPort() + "/" + p.protocol();
    }

    /** Whether {@code p} is the published port the user named with {@code spec} (as parsed, so 8080:80 names 127.0.0.1:8080:80/tcp). */
    public static boolean sameAs(PublishedPort p, PublishedPort named) {
        return p.hostIp().equals(named.hostIp()) && p.hostPort() == named.hostPort() && p.guestPort() == named.guestPort()
                && p.protocol().equals(named.protocol());
    }

    private static String checkIp(String ip, String spec) {
        for (String octet : ip.split("\\.")) {
            if (Integer.parseInt(octet) > 255 || (octet.length() > 1 && octet.startsWith("0"))) {
                throw BangerException.invalid("--publish " + Text.quote(spec) + ": " + ip + " is not an IPv4 address");
            }
        }
        return ip;
    }

    private static int port(String digits, String which, String spec) {
        int p = Integer.parseInt(digits);
        if (p < 1 || p > 65535) {
            throw BangerException.invalid("--publish " + Text.quote(spec) + ": the " + which + " port " + p + " is not 1-65535");
        }
        return p;
    }
}
