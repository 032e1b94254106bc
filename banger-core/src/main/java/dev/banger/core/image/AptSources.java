package dev.banger.core.image;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Finds the Debian mirror the host's apt sources name, so image builds use whatever mirror the host is
 * configured for and never a hard-coded one. Reads both formats: deb822 ({@code *.sources}: stanzas
 * with Types/URIs/Suites/Components) and one-line ({@code sources.list}: {@code deb URI SUITE COMP...}).
 * The security archive (suites ending in -security) is never chosen: it holds updates, not a full
 * distribution that debootstrap can install.
 */
public final class AptSources {
    /** One source entry: a URI serving some suites. */
    public record Entry(String uri, List<String> suites, List<String> components) {
        boolean isMainArchive() {
            return suites.stream().noneMatch(s -> s.endsWith("-security") || s.endsWith("/updates"))
                    && components.contains("main");
        }
    }

    private AptSources() {
    }

    public static List<Entry> parseDeb822(String text) {
        List<Entry> out = new ArrayList<>();
        for (String stanza : text.split("\\n\\s*\\n")) {
            String types = null;
            String uris = null;
            String suites = null;
            String components = null;
            String enabled = "yes";
            for (String line : stanza.split("\\n")) {
                if (line.startsWith("#") || !line.contains(":")) {
                    continue;
                }
                String key = line.substring(0, line.indexOf(':')).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(line.indexOf(':') + 1).trim();
                switch (key) {
                    case "types" -> types = value;
                    case "uris" -> uris = value;
                    case "suites" -> suites = value;
                    case "components" -> components = value;
                    case "enabled" -> enabled = value;
                    default -> {
                        // Signed-By, Architectures, ...: irrelevant for choosing a mirror
                    }
                }
            }
            if (types == null || uris == null || suites == null || !words(types).contains("deb") || enabled.equalsIgnoreCase("no")) {
                continue;
            }
            for (String uri : words(uris)) {
                out.add(new Entry(uri, words(suites), components == null ? List.of() : words(components)));
            }
        }
        return out;
    }

    public static List<Entry> parseOneLine(String text) {
        List<Entry> out = new ArrayList<>();
        for (String raw : text.split("\\n")) {
            String line = raw.contains("#") ? raw.substring(0, raw.indexOf('#')) : raw;
            List<String> f = new ArrayList<>(words(line));
            if (f.isEmpty() || !f.get(0).equals("deb")) {
                continue;
            }
            f.remove(0);
            if (!f.isEmpty() && f.get(0).startsWith("[")) { // options such as [arch=amd64 signed-by=...]
                while (!f.isEmpty() && !f.get(0).endsWith("]")) {
                    f.remove(0);
                }
                if (!f.isEmpty()) {
                    f.remove(0);
                }
            }
            if (f.size() >= 3) {
                out.add(new Entry(f.get(0), List.of(f.get(1)), f.subList(2, f.size())));
            }
        }
        return out;
    }

    /**
     * The mirror to debootstrap from: the first main-archive entry (deb822 files first, in the order
     * given), preferring one that already lists {@code suite}. Fails with the files it looked at.
     */
    public static String mirror(List<Entry> entries, String suite, String lookedAt) {
        Entry fallback = null;
        for (Entry e : entries) {
            if (!e.isMainArchive() || !(e.uri().startsWith("http://") || e.uri().startsWith("https://") || e.uri().startsWith("file:/"))) {
                continue;
            }
            if (e.suites().contains(suite)) {
                return e.uri();
            }
            if (fallback == null) {
                fallback = e;
            }
        }
        if (fallback != null) {
            return fallback.uri();
        }
        throw new BangerException(ErrorCode.FAILED_PRECONDITION, "no Debian mirror found in the host's apt sources ("
                + lookedAt + "): add a 'deb' source for the main archive, or pass --mirror URL");
    }

    private static List<String> words(String s) {
        String t = s.trim();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }
}
