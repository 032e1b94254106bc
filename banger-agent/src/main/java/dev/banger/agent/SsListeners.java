package dev.banger.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the output of {@code ss -H -t -u -l -n -p} (iproute2): one listening socket per line,
 * {@code Netid State Recv-Q Send-Q Local:Port Peer:Port [users:(("name",pid=N,fd=M),...)]}. Pure.
 *
 * <p>A line that does not have that shape is skipped and counted, never fatal: the output comes from
 * inside an untrusted guest, and a future ss may add columns.
 */
final class SsListeners {
    /** One process holding the socket. */
    record Proc(String name, long pid) {
    }

    /** A listening socket: {@code address} without brackets or {@code %interface}, as ss printed it otherwise. */
    record Listener(String proto, String address, int port, List<Proc> processes) {
    }

    record Parsed(List<Listener> listeners, int skipped) {
    }

    /** One ("name",pid=N,fd=M) entry; the name is everything up to the closing {@code ",pid=}. */
    private static final Pattern USER = Pattern.compile("\\(\"(.*?)\",pid=(\\d{1,9}),fd=\\d{1,9}\\)");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");
    /** The guest's listeners, not a flood: beyond this the rest are counted as skipped. */
    static final int MAX_LISTENERS = 4096;

    private SsListeners() {
    }

    static Parsed parse(String output) {
        List<Listener> out = new ArrayList<>();
        int skipped = 0;
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Listener l = line(line);
            if (l == null || out.size() >= MAX_LISTENERS) {
                skipped++;
            } else {
                out.add(l);
            }
        }
        return new Parsed(out, skipped);
    }

    private static Listener line(String line) {
        String[] f = line.strip().split("\\s+", 7);
        if (f.length < 6) {
            return null;
        }
        String proto = f[0];
        if (!proto.equals("tcp") && !proto.equals("udp")) {
            return null;
        }
        String state = f[1];
        if (!state.equals("LISTEN") && !state.equals("UNCONN")) {
            return null;
        }
        String local = f[4];
        int colon = local.lastIndexOf(':');
        if (colon <= 0 || !PORT.matcher(local.substring(colon + 1)).matches()) {
            return null;
        }
        int port = Integer.parseInt(local.substring(colon + 1));
        if (port < 1 || port > 65535) {
            return null;
        }
        String address = address(local.substring(0, colon));
        if (address == null) {
            return null;
        }
        List<Proc> procs = new ArrayList<>();
        if (f.length == 7) {
            Matcher m = USER.matcher(f[6]);
            while (m.find()) {
                procs.add(new Proc(m.group(1), Long.parseLong(m.group(2))));
            }
        }
        return new Listener(proto, address, port, List.copyOf(procs));
    }

    /** {@code [::1]}, {@code [fe80::1]%eth0}, {@code 127.0.0.53%lo}, {@code *}: the bare address, or null if malformed. */
    private static String address(String a) {
        int pct = a.indexOf('%');
        if (pct >= 0) {
            a = a.substring(0, pct);
        }
        if (a.startsWith("[")) {
            if (!a.endsWith("]")) {
                return null;
            }
            a = a.substring(1, a.length() - 1);
        }
        if (a.isEmpty() || !a.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == ':' || c == '*')) {
            return null;
        }
        return a;
    }
}
