package dev.banger.core.e2b;

import dev.banger.api.BangerException;
import dev.banger.core.Text;
import java.nio.file.Path;

/**
 * {@code [e2b]}: the E2B-compatible listener in bangerd, off unless {@code listen} is set. A listener reachable from
 * other hosts carries API keys and envd tokens, so a non-loopback address is refused without TLS.
 *
 * @param host the address to bind (an IPv4 or IPv6 literal, or {@code localhost}); null when off
 * @param port the TCP port (0 in tests: any free port)
 * @param domain every sandbox response's {@code domain}: the SDK builds {@code PORT-ID.DOMAIN} host names from it
 */
public record E2bSettings(String host, int port, String domain, int maxSandboxes, int maxSandboxesPerKey, Path tlsCert,
                          Path tlsKey) {
    public static final String DEFAULT_DOMAIN = "e2b.local";
    public static final int DEFAULT_MAX_SANDBOXES = 20;
    public static final int DEFAULT_MAX_PER_KEY = 10;
    public static final E2bSettings OFF = new E2bSettings(null, 0, DEFAULT_DOMAIN, DEFAULT_MAX_SANDBOXES, DEFAULT_MAX_PER_KEY,
            null, null);

    public boolean enabled() {
        return host != null;
    }

    public boolean tls() {
        return tlsCert != null && tlsKey != null;
    }

    /** The raw {@code [e2b]} table as TOML gives it (every key optional). */
    public record Raw(String listen, String domain, Integer maxSandboxes, Integer maxSandboxesPerKey, String tlsCert,
                      String tlsKey) {
    }

    /** Validates {@code [e2b]}; {@code source} names the file in errors. */
    public static E2bSettings from(Raw raw, String source) {
        if (raw == null) {
            return OFF;
        }
        String domain = raw.domain() == null ? DEFAULT_DOMAIN : raw.domain();
        if (!domain.matches("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*") || domain.length() > 200) {
            throw BangerException.invalid(source + ": e2b.domain " + Text.quote(domain) + " is not a DNS name (letters, digits, '-', '.')");
        }
        int max = positive(source, "e2b.max_sandboxes", raw.maxSandboxes(), DEFAULT_MAX_SANDBOXES);
        int perKey = positive(source, "e2b.max_sandboxes_per_key", raw.maxSandboxesPerKey(), DEFAULT_MAX_PER_KEY);
        Path cert = absolute(source, "e2b.tls_cert", raw.tlsCert());
        Path key = absolute(source, "e2b.tls_key", raw.tlsKey());
        if ((cert == null) != (key == null)) {
            throw BangerException.invalid(source + ": e2b.tls_cert and e2b.tls_key go together: set both (a PEM certificate "
                    + "chain and its private key) or neither");
        }
        if (raw.listen() == null) {
            return new E2bSettings(null, 0, domain, max, perKey, cert, key);
        }
        String[] hostPort = splitListen(source, raw.listen());
        int port;
        try {
            port = Integer.parseInt(hostPort[1]);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw BangerException.invalid(source + ": e2b.listen " + Text.quote(raw.listen()) + ": the port must be 0-65535");
        }
        if (!isLoopback(hostPort[0]) && cert == null) {
            throw BangerException.invalid(source + ": e2b.listen " + Text.quote(raw.listen()) + " is reachable from other hosts, "
                    + "and API keys would cross the network in clear: set e2b.tls_cert and e2b.tls_key (PEM files), or listen on "
                    + "127.0.0.1");
        }
        return new E2bSettings(hostPort[0], port, domain, max, perKey, cert, key);
    }

    /** {@code HOST:PORT} or {@code [V6]:PORT}; the host is a literal or {@code localhost}, never a name to resolve. */
    static String[] splitListen(String source, String listen) {
        String host;
        String port;
        if (listen.startsWith("[")) {
            int close = listen.indexOf("]:");
            if (close < 0) {
                throw badListen(source, listen);
            }
            host = listen.substring(1, close);
            port = listen.substring(close + 2);
            if (!host.matches("[0-9a-fA-F:.]+") || !host.contains(":")) {
                throw badListen(source, listen);
            }
        } else {
            int colon = listen.lastIndexOf(':');
            if (colon <= 0 || listen.indexOf(':') != colon) {
                throw badListen(source, listen);
            }
            host = listen.substring(0, colon);
            port = listen.substring(colon + 1);
            if (!host.equals("localhost") && !isIpv4(host)) {
                throw badListen(source, listen);
            }
        }
        return new String[] {host, port};
    }

    private static BangerException badListen(String source, String listen) {
        return BangerException.invalid(source + ": e2b.listen " + Text.quote(listen)
                + " is not ADDRESS:PORT (an IPv4 address, [IPv6] or localhost, e.g. \"127.0.0.1:3000\")");
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("::1") || (isIpv4(host) && host.startsWith("127."));
    }

    private static int positive(String source, String key, Integer value, int dflt) {
        if (value == null) {
            return dflt;
        }
        if (value < 1 || value > 10_000) {
            throw BangerException.invalid(source + ": " + key + " must be 1-10000, not " + value);
        }
        return value;
    }

    private static Path absolute(String source, String key, String value) {
        if (value == null) {
            return null;
        }
        Path p = Path.of(value);
        if (!p.isAbsolute()) {
            throw BangerException.invalid(source + ": " + key + " " + Text.quote(value) + " must be an absolute path");
        }
        return p.normalize();
    }
}
