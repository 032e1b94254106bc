package dev.banger.core.e2b;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Pure decisions of the E2B REST API: templates, timeouts, metadata and its list filter. */
public final class E2bRules {
    /** The template {@code Sandbox.create()} asks for with no argument: banger's default image. */
    public static final String BASE_TEMPLATE = "base";
    /**
     * The envd version every sandbox declares. The SDK enables features by it (0.4.0: commands run as {@code user};
     * 0.5.2: envd close; 0.5.7: octet-stream uploads); the envd side of banger must serve what this promises.
     */
    public static final String ENVD_VERSION = "0.5.7";
    /** E2B's own ceiling (24 h, its Pro plan); also what a missing timeout means in E2B's API: 15 s. */
    public static final int MAX_TIMEOUT_SECONDS = 86_400;
    public static final int DEFAULT_TIMEOUT_SECONDS = 15;
    public static final int MAX_ENTRIES = 64;
    public static final int MAX_KEY_CHARS = 256;
    public static final int MAX_VALUE_CHARS = 8192;

    private E2bRules() {
    }

    /** The banger image a template ID names: {@code base} is the configured default image, any other ID is an image name. */
    public static String imageFor(String templateId, String defaultImage) {
        return templateId == null || templateId.isEmpty() || templateId.equals(BASE_TEMPLATE) ? defaultImage : templateId;
    }

    /** A timeout in seconds: absent means E2B's default; otherwise 0-86400 (0: expire at once), else the error to answer. */
    public static int timeoutSeconds(Integer requested) {
        if (requested == null) {
            return DEFAULT_TIMEOUT_SECONDS;
        }
        if (requested < 0 || requested > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("timeout must be 0-" + MAX_TIMEOUT_SECONDS + " seconds, not " + requested);
        }
        return requested;
    }

    /** Checks metadata or env vars (bounded, since they are stored and returned); {@code what} names them in the error. */
    public static Map<String, String> checkMap(String what, Map<String, String> map) {
        if (map == null) {
            return Map.of();
        }
        if (map.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(what + " has " + map.size() + " entries; at most " + MAX_ENTRIES);
        }
        for (var e : map.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getKey().length() > MAX_KEY_CHARS) {
                throw new IllegalArgumentException(what + ": every key must be 1-" + MAX_KEY_CHARS + " characters");
            }
            if (e.getValue() == null || e.getValue().length() > MAX_VALUE_CHARS) {
                throw new IllegalArgumentException(what + "." + e.getKey() + ": the value must be a string of at most "
                        + MAX_VALUE_CHARS + " characters");
            }
        }
        return Map.copyOf(map);
    }

    /**
     * The list filter as the SDK sends it: the query parameter {@code metadata} holds {@code k=v&k2=v2}, each key and value
     * URL-encoded once more (URLSearchParams over encodeURIComponent). Empty when absent.
     */
    public static Map<String, String> metadataFilter(String parameter) {
        Map<String, String> filter = new LinkedHashMap<>();
        if (parameter == null || parameter.isEmpty()) {
            return filter;
        }
        for (String pair : parameter.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            // URLSearchParams' own encoding, then encodeURIComponent's.
            filter.put(decode(decode(k)), decode(decode(v)));
        }
        return filter;
    }

    /** Whether a sandbox's metadata holds every pair of the filter. */
    public static boolean matches(Map<String, String> metadata, Map<String, String> filter) {
        for (var e : filter.entrySet()) {
            if (!e.getValue().equals(metadata.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** The states a list asks for ({@code state=running,paused}, or repeated); empty means all. */
    public static Optional<java.util.Set<String>> stateFilter(java.util.List<String> values) {
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        java.util.Set<String> states = new java.util.HashSet<>();
        for (String v : values) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    if (!s.equals("running") && !s.equals("paused")) {
                        throw new IllegalArgumentException("state must be running or paused, not " + s);
                    }
                    states.add(s);
                }
            }
        }
        return states.isEmpty() ? Optional.empty() : Optional.of(states);
    }

    /**
     * Form decoding ({@code +} is a space, {@code %XX} a byte; the bytes are UTF-8), by hand: java.net is off limits to
     * core, which does no I/O (ShellOutPolicyTest).
     */
    static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            byte b = in[i];
            if (b == '+') {
                out.write(' ');
            } else if (b == '%') {
                int hi = i + 2 < in.length ? Character.digit(in[i + 1], 16) : -1;
                int lo = hi >= 0 ? Character.digit(in[i + 2], 16) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException("metadata filter: bad percent-encoding in " + s);
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                out.write(b);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
