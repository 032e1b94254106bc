package dev.banger.core.mount;

import dev.banger.api.BangerException;
import dev.banger.core.Text;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code --mount HOST_DIR:GUEST_DIR[:ro|:rw]} syntax and its rules. Pure: who may mount a directory is the
 * daemon's question (it needs the caller and the file system); this is only the shape of the request.
 */
public final class MountRules {
    private static final String FORM = "HOST_DIR:GUEST_DIR[:ro|:rw] with both paths absolute, e.g. ~/src:/src or /data:/data:ro";
    /** Guest paths are written to the guest's config and mounted by its shell: a plain character set, no surprises. */
    private static final java.util.regex.Pattern GUEST_PATH = java.util.regex.Pattern.compile("(/[A-Za-z0-9._@+-]+)+");
    /**
     * The guest system's own top-level directories: a mount on or inside one would hide what the guest boots with (its
     * kernel file systems and its programs). /opt/banger, where banger's agent lives, is refused as well.
     */
    private static final Set<String> GUEST_SYSTEM_TOP = Set.of("proc", "sys", "dev", "run", "etc", "usr", "bin", "sbin", "lib", "lib64",
            "boot", "var");

    /** A parsed request; the host directory is not resolved yet. */
    public record Request(String hostDir, String guestDir, boolean readOnly) {
    }

    private MountRules() {
    }

    public static Request parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw BangerException.invalid("an empty --mount: use " + FORM);
        }
        String s = spec.strip();
        boolean readOnly = false;
        if (s.endsWith(":ro") || s.endsWith(":rw")) {
            readOnly = s.endsWith(":ro");
            s = s.substring(0, s.length() - 3);
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw BangerException.invalid("--mount " + Text.quote(spec) + " is not " + FORM);
        }
        String host = s.substring(0, colon);
        String guest = s.substring(colon + 1);
        if (!host.startsWith("/")) {
            throw BangerException.invalid("--mount " + Text.quote(spec) + ": the host directory must be an absolute path");
        }
        if (host.chars().anyMatch(c -> c == 0 || Text.isControl(c))) {
            throw BangerException.invalid("--mount " + Text.quote(spec) + ": the host path has control characters");
        }
        return new Request(host, checkGuestDir(guest, spec), readOnly);
    }

    /** Parses every spec; refuses more than {@code maxMounts} and two mounts on one guest directory. */
    public static List<Request> parseAll(List<String> specs, int maxMounts) {
        if (specs.size() > maxMounts) {
            throw BangerException.invalid(specs.size() + " mounts: a VM has room for at most " + maxMounts
                    + " (each is a virtio-mmio device, and microvm has a fixed number of those slots)");
        }
        List<Request> out = new ArrayList<>();
        Set<String> guestDirs = new HashSet<>();
        for (String spec : specs) {
            Request r = parse(spec);
            if (!guestDirs.add(r.guestDir())) {
                throw BangerException.invalid("two mounts on " + r.guestDir() + " in the guest: give each its own directory");
            }
            out.add(r);
        }
        return List.copyOf(out);
    }

    static String checkGuestDir(String guest, String spec) {
        String g = guest.length() > 1 && guest.endsWith("/") ? guest.substring(0, guest.length() - 1) : guest;
        if (!GUEST_PATH.matcher(g).matches() || g.length() > 255) {
            throw BangerException.invalid("--mount " + Text.quote(spec) + ": the guest directory must be an absolute path of "
                    + "letters, digits and . _ @ + - (at most 255 characters)");
        }
        for (String part : g.substring(1).split("/")) {
            if (part.equals(".") || part.equals("..")) {
                throw BangerException.invalid("--mount " + Text.quote(spec) + ": the guest directory may not contain . or ..");
            }
        }
        String top = g.substring(1).split("/")[0];
        if (GUEST_SYSTEM_TOP.contains(top) || g.equals("/opt/banger") || g.startsWith("/opt/banger/")) {
            throw BangerException.invalid("--mount " + Text.quote(spec) + ": " + g + " is in the guest system's own directories; mount somewhere else, e.g. /mnt/NAME or /src");
        }
        return g;
    }

    /** The virtiofs tag of a VM's {@code index}th mount (the guest mounts it by this name). */
    public static String tag(int index) {
        return "banger" + index;
    }
}
