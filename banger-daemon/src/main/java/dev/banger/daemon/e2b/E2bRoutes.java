package dev.banger.daemon.e2b;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a request to the listener goes, from its {@code Host} and {@code E2b-Sandbox-Id} headers alone (pure):
 * <ul>
 *   <li>a {@code E2b-Sandbox-Id} header: that sandbox's envd (the SDK sets it on every envd call);</li>
 *   <li>a host {@code PORT-ID.DOMAIN} (what the SDK's {@code getHost(PORT)} returns, DOMAIN the sandbox's {@code domain}):
 *       port PORT of sandbox ID, except envd's own port, {@value #ENVD_PORT}, which is envd as with the header;</li>
 *   <li>anything else: the REST API (an {@code api.DOMAIN} host included).</li>
 * </ul>
 */
final class E2bRoutes {
    /** envd's port in E2B's sandboxes; the SDK's envd URL is {@code 49983-ID.DOMAIN} when no E2B_SANDBOX_URL is set. */
    static final int ENVD_PORT = dev.banger.core.e2b.EnvdRules.ENVD_PORT;
    /** One DNS label: the port (1-65535, no sign), a dash, the sandbox id (a VM id: 12 hex digits; any label accepted). */
    private static final Pattern LABEL = Pattern.compile("([1-9][0-9]{0,4})-([0-9a-z][0-9a-z-]{0,62})");
    /** A Host header longer than a DNS name is no sandbox's. */
    private static final int MAX_HOST = 253 + 6;

    private E2bRoutes() {
    }

    sealed interface Route permits Rest, Envd, Port {
    }

    record Rest() implements Route {
    }

    record Envd(String sandboxId) implements Route {
    }

    record Port(String sandboxId, int port) implements Route {
    }

    static Route route(String host, String sandboxHeader, String domain) {
        if (sandboxHeader != null) {
            return new Envd(sandboxHeader);
        }
        if (host == null || host.length() > MAX_HOST || domain == null || domain.isEmpty()) {
            return new Rest();
        }
        String name = stripPort(host).toLowerCase(Locale.ROOT);
        name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name; // a fully qualified name
        String suffix = "." + domain.toLowerCase(Locale.ROOT);
        if (!name.endsWith(suffix)) {
            return new Rest();
        }
        Matcher m = LABEL.matcher(name.substring(0, name.length() - suffix.length()));
        if (!m.matches()) {
            return new Rest();
        }
        int port = Integer.parseInt(m.group(1));
        if (port > 65535) {
            return new Rest();
        }
        return port == ENVD_PORT ? new Envd(m.group(2)) : new Port(m.group(2), port);
    }

    /** {@code name:port} without its port; an IPv6 literal ({@code [::1]:3000}) is no sandbox's and stays as it is. */
    private static String stripPort(String host) {
        int colon = host.lastIndexOf(':');
        if (colon < 0 || host.startsWith("[")) {
            return host;
        }
        return host.substring(0, colon);
    }
}
