package dev.banger.core.vm;

import dev.banger.api.BangerException;
import dev.banger.core.StatePaths;
import dev.banger.core.Text;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One Firecracker VM run under Firecracker's jailer, validated: the jailer's argv, where its chroot is, and
 * which host files go into it under which names. Pure; {@code dev.banger.host.vm.JailerLayout} does the
 * file work.
 *
 * <p>The jailer builds {@code <chrootBaseDir>/<firecracker file name>/<id>/root}, copies Firecracker in,
 * makes its own dev/kvm and dev/net/tun, chroots there, drops to uid/gid and execs Firecracker. From then on
 * every path Firecracker is given (kernel, initrd, drives, log, metrics, vsock and API sockets) is resolved
 * inside that root, so those files must be placed in it first: {@link #placements} says how, and
 * {@link #insidePath} names them. All names sit directly in the root, which keeps the mapping one to one.
 *
 * @param jailerBinary the jailer executable (absolute)
 * @param firecrackerBinary the Firecracker executable (absolute, and its real path: the jailer names the
 *     chroot after the file name of the resolved path, so a symlink with another name would put the chroot
 *     somewhere {@link #chrootDir} does not say)
 * @param id the jail's id, see {@link #isValidId}; banger passes the VM id
 * @param uid the user Firecracker runs as; never 0, that would defeat the jailer
 * @param gid the group Firecracker runs as; never 0
 * @param chrootBaseDir where jails are made (the jailer's default is /srv/jailer); it must be on the same
 *     filesystem as banger's state, because files are hard-linked in
 * @param netns a network namespace file for the jailer to join before it execs Firecracker, if any
 */
public record JailerPlan(Path jailerBinary, Path firecrackerBinary, String id, int uid, int gid, Path chrootBaseDir,
                         Optional<Path> netns) {
    /** The jailer's own limit on --id. */
    public static final int MAX_ID_LENGTH = 64;
    /** The highest uid/gid banger accepts, as in {@code BangerConfig}: (uid_t) -1 and -2 mean "no change"/nobody. */
    public static final int MAX_JAIL_ID = 0x7fff_fffe;
    public static final String KERNEL_NAME = "vmlinux";
    public static final String INITRD_NAME = "initrd.img";
    public static final String DRIVE_PREFIX = "drive-";
    public static final String LOG_NAME = "firecracker.log";
    public static final String METRICS_NAME = "metrics.json";
    public static final String API_SOCKET_NAME = "api.sock";
    public static final String VSOCK_SOCKET_NAME = "vsock.sock";
    /** A snapshot's device state and memory, as a jailed Firecracker writes them (save) or reads them (restore). */
    public static final String SNAPSHOT_STATE_NAME = "snapshot.vmstate";
    public static final String SNAPSHOT_MEMORY_NAME = "snapshot.mem";
    /** Firecracker listens for guest-initiated vsock connections on uds_path + "_PORT"; leave room for that. */
    private static final String LONGEST_VSOCK_SUFFIX = "_65535";
    /** NAME_MAX. */
    private static final int MAX_NAME_BYTES = 255;
    /** PATH_MAX, less its NUL. */
    private static final int MAX_PATH_BYTES = 4095;

    /** How a file gets into the jail. */
    public enum Kind {
        /** A hard link to the host file: the same inode, so no copy, and writes land in the host file. */
        HARD_LINK,
        /**
         * A new block-device node with the host device's major and minor: a hard link cannot cross into the
         * chroot's filesystem from devtmpfs, and the jail must not see the host's /dev.
         */
        DEVICE_NODE,
        /**
         * A file Firecracker writes (its log, its metrics), created empty at the host path (in the VM's
         * directory, so it outlives the jail) and hard-linked in. Emptied on every prepare: Firecracker opens
         * it without O_APPEND or O_TRUNC and writes from offset 0, so an old run's text would otherwise stay
         * mixed into the new one's.
         */
        CREATE_EMPTY
    }

    /**
     * One file to put in the jail.
     *
     * @param hostSource the host file (or block device, for {@link Kind#DEVICE_NODE})
     * @param insidePath the absolute path Firecracker is given, inside the chroot (like "/vmlinux")
     * @param ownedByJailUser whether the jail's uid/gid must own it: exactly the files Firecracker writes.
     *     Ownership is write access (an owner can always chmod), so read-only files are never given away.
     */
    public record Placement(Path hostSource, String insidePath, Kind kind, boolean ownedByJailUser) {
        public Placement {
            checkPath("placement source", hostSource);
            Objects.requireNonNull(insidePath, "insidePath");
            Objects.requireNonNull(kind, "kind");
        }
    }

    /**
     * A drive as Firecracker sees it.
     *
     * @param driveId Firecracker's drive_id; it also names the file in the jail ({@code drive-<id>})
     * @param blockDevice whether {@code hostPath} is a block device (a dm snapshot, a loop device): the host
     *     layer knows, this pure layer cannot look
     */
    public record Drive(String driveId, Path hostPath, boolean readOnly, boolean blockDevice) {
        public Drive {
            if (driveId == null || driveId.isEmpty() || driveId.length() > MAX_ID_LENGTH
                    || !driveId.chars().allMatch(c -> isAsciiAlnum(c) || c == '_' || c == '-')) {
                throw BangerException.invalid("drive id '" + Text.printable(driveId, 80) + "' is invalid: use 1-" + MAX_ID_LENGTH
                        + " ASCII letters, digits, '_' and '-'");
            }
            checkPath("drive " + driveId, hostPath);
        }
    }

    /** The host files one VM uses; the log and metrics files are created (and emptied) by the layout. */
    public record VmFiles(Path kernel, Optional<Path> initrd, List<Drive> drives, Optional<Path> logFile,
                          Optional<Path> metricsFile) {
        public VmFiles {
            checkPath("kernel", kernel);
            Objects.requireNonNull(initrd, "initrd: use Optional.empty()");
            Objects.requireNonNull(logFile, "logFile: use Optional.empty()");
            Objects.requireNonNull(metricsFile, "metricsFile: use Optional.empty()");
            drives = List.copyOf(drives);
        }
    }

    public JailerPlan {
        checkPath("jailer binary", jailerBinary);
        checkPath("firecracker binary", firecrackerBinary);
        checkPath("chroot base directory", chrootBaseDir);
        Objects.requireNonNull(netns, "netns: use Optional.empty()");
        netns.ifPresent(p -> checkPath("network namespace", p));
        if (firecrackerBinary.getFileName() == null) {
            throw BangerException.invalid("firecracker binary path '/' names no file");
        }
        if (chrootBaseDir.getNameCount() == 0) {
            throw BangerException.invalid("chroot base directory must not be '/': jails would land at the top of the host's tree");
        }
        if (!isValidId(id)) {
            throw BangerException.invalid("jailer id '" + Text.printable(id, 80) + "' is invalid: use 1-" + MAX_ID_LENGTH
                    + " ASCII letters, digits and '-', not starting with '-' (banger uses the VM id, 12 hex digits)");
        }
        checkJailId("uid", uid);
        checkJailId("gid", gid);
        // Fields are not assigned yet in a compact constructor, so rootDir() is computed here by hand.
        Path root = chrootBaseDir.resolve(firecrackerBinary.getFileName().toString()).resolve(id).resolve("root");
        checkSocketPath("API socket", root.resolve(API_SOCKET_NAME).toString());
        checkSocketPath("vsock socket", root.resolve(VSOCK_SOCKET_NAME) + LONGEST_VSOCK_SUFFIX);
    }

    /**
     * The jailer's rule (ASCII letters, digits and '-', 1 to 64), and not starting with '-', so the value can
     * never read as an option. It is also a single path component: the id names a directory.
     */
    public static boolean isValidId(String id) {
        return id != null && !id.isEmpty() && id.length() <= MAX_ID_LENGTH && id.charAt(0) != '-'
                && id.chars().allMatch(c -> isAsciiAlnum(c) || c == '-');
    }

    /** {@code <chrootBaseDir>/<firecracker file name>/<id>}: everything this VM's jail holds, removed as one. */
    public Path chrootDir() {
        return chrootBaseDir.resolve(firecrackerBinary.getFileName().toString()).resolve(id);
    }

    /** The directory Firecracker sees as "/". */
    public Path rootDir() {
        return chrootDir().resolve("root");
    }

    /**
     * The jailer's argv; {@code firecrackerArgs} follow "--" and go to Firecracker (the jailer adds --id
     * itself, so they must not). No --daemonize and no --new-pid-ns: the jailer execs Firecracker in place,
     * so the process banger starts is Firecracker, with its stdout (the serial console) still banger's.
     */
    public List<String> argv(List<String> firecrackerArgs) {
        List<String> argv = new ArrayList<>(List.of(jailerBinary.toString(),
                "--id", id,
                "--exec-file", firecrackerBinary.toString(),
                "--uid", Integer.toString(uid),
                "--gid", Integer.toString(gid),
                "--chroot-base-dir", chrootBaseDir.toString()));
        netns.ifPresent(ns -> argv.addAll(List.of("--netns", ns.toString())));
        argv.add("--");
        for (String a : firecrackerArgs) {
            Objects.requireNonNull(a, "a Firecracker argument is null");
            if (a.equals("--id")) {
                throw BangerException.invalid("Firecracker arguments must not contain --id: the jailer passes its own");
            }
            argv.add(a);
        }
        return List.copyOf(argv);
    }

    /**
     * The absolute in-jail path Firecracker is given for a file placed in the jail's root under
     * {@code name} (one path component of ASCII letters, digits, '.', '_' and '-', not starting with '.').
     */
    public static String insidePath(String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES
                || name.charAt(0) == '.' || !name.chars().allMatch(c -> isAsciiAlnum(c) || c == '.' || c == '_' || c == '-')) {
            throw BangerException.invalid("'" + Text.printable(name, 80) + "' is not a file name for the jail: use ASCII "
                    + "letters, digits, '.', '_' and '-', not starting with '.'");
        }
        return "/" + name;
    }

    /**
     * Where a path Firecracker sees (absolute, normalised) is on the host. Refuses anything that is not
     * strictly inside the root. Lexical only: once the jailer has run, the jail user owns the root and may
     * have put symlinks there, so whoever opens the result as root must not follow links.
     */
    public Path hostPathOf(String insidePath) {
        if (insidePath == null || !insidePath.startsWith("/") || insidePath.chars().anyMatch(JailerPlan::isControl)) {
            throw BangerException.invalid("jail path '" + Text.printable(insidePath, 80) + "' must be absolute, without control characters");
        }
        Path inside;
        try {
            inside = Path.of(insidePath);
        } catch (InvalidPathException e) {
            throw BangerException.invalid("jail path '" + Text.printable(insidePath, 80) + "' is not a path");
        }
        if (!inside.normalize().equals(inside) || inside.getNameCount() == 0) {
            throw BangerException.invalid("jail path '" + Text.printable(insidePath, 80) + "' must name a file inside the "
                    + "jail, normalised (no '.' or '..')");
        }
        Path host = rootDir().resolve(inside.toString().substring(1)).normalize();
        if (!host.startsWith(rootDir()) || host.equals(rootDir())) {
            throw BangerException.invalid("jail path '" + Text.printable(insidePath, 80) + "' leaves the jail");
        }
        return host;
    }

    /** The --api-sock value for Firecracker. */
    public String apiSocketInside() {
        return insidePath(API_SOCKET_NAME);
    }

    /** Where the API socket appears on the host (checked to fit a Unix socket address). */
    public Path apiSocketHost() {
        return hostPathOf(apiSocketInside());
    }

    /** The vsock device's uds_path for Firecracker. */
    public String vsockInside() {
        return insidePath(VSOCK_SOCKET_NAME);
    }

    /** Where the vsock socket appears on the host; guest-initiated listeners are this + "_PORT". */
    public Path vsockHost() {
        return hostPathOf(vsockInside());
    }

    /**
     * Where each file of the VM goes in the jail, in a fixed order (kernel, initrd, drives as given, log,
     * metrics) under fixed names, so a second computation is identical. The jail user owns what Firecracker
     * writes (writable drives, log, metrics) and nothing else. A host file given for two roles is refused:
     * it would get two names, and possibly two ownerships.
     */
    public List<Placement> placements(VmFiles files) {
        List<Placement> out = new ArrayList<>();
        out.add(new Placement(files.kernel(), insidePath(KERNEL_NAME), Kind.HARD_LINK, false));
        files.initrd().ifPresent(p -> out.add(new Placement(p, insidePath(INITRD_NAME), Kind.HARD_LINK, false)));
        for (Drive d : files.drives()) {
            out.add(new Placement(d.hostPath(), insidePath(DRIVE_PREFIX + d.driveId()),
                    d.blockDevice() ? Kind.DEVICE_NODE : Kind.HARD_LINK, !d.readOnly()));
        }
        files.logFile().ifPresent(p -> out.add(new Placement(p, insidePath(LOG_NAME), Kind.CREATE_EMPTY, true)));
        files.metricsFile().ifPresent(p -> out.add(new Placement(p, insidePath(METRICS_NAME), Kind.CREATE_EMPTY, true)));
        Set<String> names = new HashSet<>();
        Set<Path> sources = new HashSet<>();
        for (Placement p : out) {
            if (!names.add(p.insidePath())) {
                throw BangerException.invalid("two drives would both be " + p.insidePath() + " in the jail: drive ids must be unique");
            }
            if (!sources.add(p.hostSource())) {
                throw BangerException.invalid(p.hostSource() + " is given for two roles (kernel, initrd, drives, log and "
                        + "metrics must be distinct files)");
            }
        }
        return List.copyOf(out);
    }

    /**
     * A snapshot's two files in the jail, under {@link #SNAPSHOT_STATE_NAME} and {@link #SNAPSHOT_MEMORY_NAME}. For a
     * save ({@code save}) they are created empty in the snapshot's directory and handed to the jail user, who
     * writes them through the links (Firecracker cannot write outside its chroot); for a restore they are linked
     * in read-only: Firecracker only reads the state and maps the memory privately.
     */
    public List<Placement> snapshotPlacements(Path vmstate, Path memory, boolean save) {
        if (vmstate.equals(memory)) {
            throw BangerException.invalid("a snapshot's state and memory must be two files");
        }
        Kind kind = save ? Kind.CREATE_EMPTY : Kind.HARD_LINK;
        return List.of(new Placement(vmstate, insidePath(SNAPSHOT_STATE_NAME), kind, save),
                new Placement(memory, insidePath(SNAPSHOT_MEMORY_NAME), kind, save));
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void checkJailId(String what, int value) {
        if (value <= 0 || value > MAX_JAIL_ID) {
            throw BangerException.invalid("jailer " + what + " " + value + " is not allowed: the jailer exists to run Firecracker "
                    + "as an unprivileged user, and " + what + " 0 is root; give a " + what + " from 1 to " + MAX_JAIL_ID);
        }
    }

    private static void checkSocketPath(String role, String path) {
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > StatePaths.MAX_SOCKET_PATH_BYTES) {
            throw BangerException.invalid(role + " path " + Text.printable(path, 200) + " in the jail is " + bytes
                    + " bytes; Unix sockets allow " + StatePaths.MAX_SOCKET_PATH_BYTES + ": use a shorter chroot base directory");
        }
    }

    /** Absolute, normalised (so no '.' or '..'), no ',' and no control characters, within PATH_MAX. */
    static void checkPath(String role, Path p) {
        if (p == null) {
            throw BangerException.invalid(role + " path is missing");
        }
        String s = p.toString();
        if (!p.isAbsolute() || !p.normalize().equals(p)) {
            throw BangerException.invalid(role + " path '" + Text.printable(s, 200) + "' must be absolute and normalised (no '.' or '..')");
        }
        if (s.indexOf(',') >= 0 || s.chars().anyMatch(JailerPlan::isControl)) {
            throw BangerException.invalid(role + " path '" + Text.printable(s, 200) + "' contains ',' or a control character");
        }
        if (s.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw BangerException.invalid(role + " path is longer than " + MAX_PATH_BYTES + " bytes");
        }
    }

    private static boolean isAsciiAlnum(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isControl(int c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }

    /** Builds a plan; every value but the network namespace is required. */
    public static final class Builder {
        private Path jailerBinary;
        private Path firecrackerBinary;
        private String id;
        private int uid;
        private int gid;
        private Path chrootBaseDir;
        private Path netns;

        private Builder() {
        }

        public Builder jailerBinary(Path v) {
            jailerBinary = v;
            return this;
        }

        public Builder firecrackerBinary(Path v) {
            firecrackerBinary = v;
            return this;
        }

        public Builder id(String v) {
            id = v;
            return this;
        }

        public Builder uid(int v) {
            uid = v;
            return this;
        }

        public Builder gid(int v) {
            gid = v;
            return this;
        }

        public Builder chrootBaseDir(Path v) {
            chrootBaseDir = v;
            return this;
        }

        public Builder netns(Path v) {
            netns = v;
            return this;
        }

        public JailerPlan build() {
            return new JailerPlan(jailerBinary, firecrackerBinary, id, uid, gid, chrootBaseDir, Optional.ofNullable(netns));
        }
    }
}
