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

    /**
     * The most mounts a VM may have. QEMU 7.2's microvm (with ACPI, so a second IOAPIC) has 24 virtio-mmio transports:
     * a 25th virtio device is refused with "No 'virtio-bus' bus found" (tried). banger's QEMU VMs always take 6 (root,
     * config and work drives, the NIC, the virtio-serial agent port, vhost-vsock where the host has it); each mount
     * takes one more (vhost-user-fs-device).
     */
    public static final int MICROVM_TRANSPORTS = 24;
    public static final int FIXED_DEVICES = 6;
    public static final int MAX_MOUNTS = MICROVM_TRANSPORTS - FIXED_DEVICES;
    /** Who the guest's root acts as when root mounts a directory root owns: never host root. */
    public static final int NOBODY = 65534;

    /** The host user (and group) the guest's root acts as through one mount (virtiofsd runs as it). */
    public record Identity(int uid, int gid) {
        public Identity {
            if (uid <= 0 || gid <= 0) {
                throw new IllegalArgumentException("a mount's identity is never root or unknown: " + uid + ":" + gid);
            }
        }
    }

    /**
     * Who may mount a directory: its owner, anyone for a directory under an entry of {@code [mounts] allowed}, and
     * root (who could read it anyway). Empty when allowed; else the refusal, naming the rule.
     *
     * @param callerUid the caller's uid from SO_PEERCRED; negative when unknown (refused)
     * @param realDir   the directory, resolved (no links): compared with the allowed entries as it is
     * @param ownerUid  its owner, read without following a link
     */
    public static java.util.Optional<String> refusal(int callerUid, java.nio.file.Path realDir, int ownerUid,
                                                     List<java.nio.file.Path> allowed) {
        if (callerUid < 0) {
            return java.util.Optional.of("the daemon could not tell who you are (no uid for this connection): it mounts nothing for you");
        }
        if (callerUid == 0 || callerUid == ownerUid) {
            return java.util.Optional.empty();
        }
        for (java.nio.file.Path entry : allowed) {
            if (realDir.startsWith(entry)) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.of("you (uid " + callerUid + ") do not own " + realDir + " (its owner is uid " + ownerUid
                + "): mount a directory you own, or ask an admin to list it in [mounts] allowed");
    }

    /**
     * The host identity the guest's root acts as: the caller when not root; for root, the directory's owner when that
     * is not root, else nobody (65534). Never 0: a guest root that were host root could plant setuid-root files.
     */
    public static Identity identity(int callerUid, int callerGid, int ownerUid, int ownerGid) {
        if (callerUid > 0) {
            if (callerGid <= 0) {
                throw BangerException.invalid("the daemon could not tell your group (gid " + callerGid + "): it mounts nothing for you");
            }
            return new Identity(callerUid, callerGid);
        }
        if (ownerUid > 0) {
            return new Identity(ownerUid, ownerGid > 0 ? ownerGid : NOBODY);
        }
        return new Identity(NOBODY, NOBODY);
    }

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
                    + " (each is a virtio-mmio device, and microvm has " + MICROVM_TRANSPORTS + " of those slots, "
                    + FIXED_DEVICES + " of them taken by every VM's disks, NIC, agent port and vsock)");
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
