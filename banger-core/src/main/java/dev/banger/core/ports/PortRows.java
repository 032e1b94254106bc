package dev.banger.core.ports;

import dev.banger.api.Params;
import dev.banger.core.Text;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a guest's listeners (from its agent) into {@code vm ports} rows. Pure. A listener bound to a
 * wildcard or to a guest address is reached from the host as {@code NAME.vm:PORT}; one bound to loopback
 * is shown with its address and marked not reachable rather than hidden. Rows that would render the
 * same (0.0.0.0 and :: binds of one service) are one row. The guest is untrusted: its text is made
 * printable and cut to a length.
 */
public final class PortRows {
    /** What a TCP listener turned out to speak, from {@code host.guest.PortProbe}. */
    public enum Scheme {
        HTTP("http"), HTTPS("https"), TLS("tls"), TCP("tcp");

        private final String label;

        Scheme(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private static final int MAX_NAME = 64;
    private static final int MAX_COMMAND = 200;

    private PortRows() {
    }

    /** Whether the host can reach a socket bound to {@code address} (not a loopback address). */
    public static boolean reachable(String address) {
        String a = address.toLowerCase(java.util.Locale.ROOT);
        return !(a.startsWith("127.") || a.equals("::1") || a.startsWith("::ffff:127.") || a.equals("localhost"));
    }

    /** The TCP ports worth probing for their protocol: reachable ones, each once. */
    public static Set<Integer> tcpPortsToProbe(List<Params.PortListener> listeners) {
        Set<Integer> ports = new java.util.TreeSet<>();
        for (Params.PortListener l : listeners) {
            if (l.proto().equals("tcp") && reachable(l.address())) {
                ports.add(l.port());
            }
        }
        return ports;
    }

    /** The rows, reachable first, then by port and protocol; {@code schemes} says what each probed TCP port speaks. */
    public static List<Params.PortRow> rows(String dnsName, List<Params.PortListener> listeners, Map<Integer, Scheme> schemes) {
        Map<String, Params.PortRow> byRendering = new LinkedHashMap<>();
        Map<String, Set<String>> processes = new LinkedHashMap<>();
        for (Params.PortListener l : listeners) {
            boolean reachable = reachable(l.address());
            String proto = l.proto().equals("udp") ? "udp" : reachable ? schemes.getOrDefault(l.port(), Scheme.TCP).label() : "tcp";
            String endpoint = reachable ? dnsName + ":" + l.port() : bound(l.address()) + ":" + l.port();
            String key = proto + " " + endpoint;
            Set<String> names = processes.computeIfAbsent(key, k -> new LinkedHashSet<>());
            String command = "";
            for (Params.PortProcess p : l.processes() == null ? List.<Params.PortProcess>of() : l.processes()) {
                names.add(Text.printable(p.name(), MAX_NAME));
                if (command.isEmpty() && p.command() != null) {
                    command = Text.printable(p.command(), MAX_COMMAND);
                }
            }
            Params.PortRow existing = byRendering.get(key);
            if (existing == null || existing.command().isEmpty()) {
                byRendering.put(key, new Params.PortRow(proto, endpoint, url(proto, dnsName, l.port()), reachable, "", command));
            }
        }
        List<Params.PortRow> out = new ArrayList<>();
        byRendering.forEach((key, row) -> out.add(new Params.PortRow(row.proto(), row.endpoint(), row.url(), row.reachable(),
                String.join(",", processes.get(key)), row.command())));
        out.sort(Comparator.comparing((Params.PortRow r) -> !r.reachable()).thenComparingInt(PortRows::port)
                .thenComparing(Params.PortRow::proto));
        return out;
    }

    /** {@code http://NAME.vm:8080}; the default port is left out (http://NAME.vm). Null for other protocols. */
    static String url(String proto, String dnsName, int port) {
        return switch (proto) {
            case "http" -> "http://" + dnsName + (port == 80 ? "" : ":" + port);
            case "https" -> "https://" + dnsName + (port == 443 ? "" : ":" + port);
            default -> null;
        };
    }

    private static String bound(String address) {
        return address.contains(":") ? "[" + address + "]" : address;
    }

    private static int port(Params.PortRow r) {
        return Integer.parseInt(r.endpoint().substring(r.endpoint().lastIndexOf(':') + 1));
    }
}
