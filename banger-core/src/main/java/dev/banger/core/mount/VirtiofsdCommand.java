package dev.banger.core.mount;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line of one mount's virtiofsd. Pure: the host layer finds the binary and runs it.
 *
 * <p>virtiofsd runs as the mount's user (never root): {@code setpriv} drops to that uid and gid, then
 * {@code unshare --user --map-root-user} makes a user namespace in which that user is root, so virtiofsd's
 * namespace sandbox (pivot_root into the shared directory) works and every file the guest's root writes belongs to the
 * user on the host. A setuid bit set by the guest is setuid-that-user, never setuid-root. {@code newuidmap} is not used:
 * it enforces /etc/subuid even for root. Guest users other than root have no mapping: their writes fail (EINVAL).
 *
 * <pre>
 * setpriv --reuid=UID --regid=GID --clear-groups --
 *   unshare --user --map-root-user --
 *   /usr/lib/qemu/virtiofsd --socket-path=SOCK -o source=DIR -o sandbox=namespace --rlimit-nofile=0 -o cache=auto
 *                           QEMU 7.2's (Debian 12): no uid mapping or read-only option of its own; --rlimit-nofile=0
 *                           leaves the limit alone (an unprivileged user may not raise it)
 *   virtiofsd --socket-path=SOCK --shared-dir=DIR --sandbox=namespace --cache=auto [--readonly]
 *                           the standalone (Rust) virtiofsd of Debian 13 and later: not verified on this host
 * </pre>
 * Read-only is enforced on the host side by a read-only bind mount whatever the flavour ({@code --readonly} is only a
 * second fence).
 */
public final class VirtiofsdCommand {
    /** Where QEMU 7.2's virtiofsd keeps its lock files; the daemon makes each one for it (the sandboxed user cannot). */
    public static final Path QEMU_PID_DIR = Path.of("/run/virtiofsd");
    private static final String SOCKET_OPTION = "--socket-path=";

    /** Which virtiofsd a host has. */
    public enum Flavor {
        /** QEMU's own C virtiofsd, {@code /usr/lib/qemu/virtiofsd} (qemu-system-common up to QEMU 7.2). */
        QEMU("QEMU's virtiofsd (C, from qemu-system-common)"),
        /** The standalone Rust virtiofsd ({@code virtiofsd} package, Debian 13 and later). */
        RUST("the standalone virtiofsd (Rust)");

        private final String description;

        Flavor(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** A virtiofsd binary found on the host. */
    public record Binary(Flavor flavor, Path path) {
        public String describe() {
            return path + " (" + flavor.description() + ")";
        }
    }

    private VirtiofsdCommand() {
    }

    /** The argv serving {@code source} on {@code socket} as {@code identity}. */
    public static List<String> argv(Binary binary, MountRules.Identity identity, Path socket, Path source, boolean readOnly) {
        List<String> a = new ArrayList<>(List.of("setpriv", "--reuid=" + identity.uid(), "--regid=" + identity.gid(), "--clear-groups",
                "--", "unshare", "--user", "--map-root-user", "--", binary.path().toString(), SOCKET_OPTION + socket));
        switch (binary.flavor()) {
            case QEMU -> a.addAll(List.of("-o", "source=" + source, "-o", "sandbox=namespace", "--rlimit-nofile=0", "-o", "cache=auto"));
            case RUST -> {
                a.addAll(List.of("--shared-dir=" + source, "--sandbox=namespace", "--cache=auto"));
                if (readOnly) {
                    a.add("--readonly");
                }
            }
        }
        return List.copyOf(a);
    }

    /**
     * The lock file QEMU's virtiofsd takes for {@code socket}: its path with every '/' made '.', in {@link #QEMU_PID_DIR}
     * (socket /a/b.sock: /run/virtiofsd/.a.b.sock.pid). Empty for the Rust one, which keeps none there.
     */
    public static Optional<Path> pidFile(Flavor flavor, Path socket) {
        return flavor == Flavor.QEMU ? Optional.of(QEMU_PID_DIR.resolve(socket.toString().replace('/', '.') + ".pid")) : Optional.empty();
    }

    /**
     * The socket of a running virtiofsd, from its command line (setpriv and unshare exec it in place, so the process's
     * argv is virtiofsd's own): empty for anything that is not a virtiofsd with an absolute {@code --socket-path=}.
     */
    public static Optional<Path> socketOf(List<String> argv) {
        if (argv.isEmpty()) {
            return Optional.empty();
        }
        String program = argv.get(0);
        if (!program.substring(program.lastIndexOf('/') + 1).equals("virtiofsd")) {
            return Optional.empty();
        }
        for (String arg : argv.subList(1, argv.size())) {
            if (arg.startsWith(SOCKET_OPTION)) {
                Path p = Path.of(arg.substring(SOCKET_OPTION.length()));
                return p.isAbsolute() ? Optional.of(p) : Optional.empty();
            }
        }
        return Optional.empty();
    }
}
