package dev.banger.core.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The firecracker command line, and how a running one is recognised again: by its {@code --api-sock}
 * path, which is unique per VM (banger's layout: vms/ID/api.sock), as the original banger does. The
 * program's own name is not checked: the binary path is configurable (and a strict test stub runs as
 * java), but no other program is started with {@code --api-sock} inside banger's VM directories.
 */
public final class FirecrackerCommand {
    private FirecrackerCommand() {
    }

    /** {@code firecracker --api-sock SOCK --id ID}; the VM id doubles as Firecracker's instance id. */
    public static List<String> argv(String binary, Path apiSocket, String vmId) {
        if (!apiSocket.isAbsolute()) {
            throw new IllegalArgumentException("the API socket must be an absolute path: " + apiSocket);
        }
        if (!vmId.matches("[A-Za-z0-9-]{1,64}")) {
            throw new IllegalArgumentException("not a Firecracker instance id: " + vmId);
        }
        return List.of(binary, "--api-sock", apiSocket.toString(), "--id", vmId);
    }

    /** The {@code --api-sock} path of a command line, when it has exactly one, absolute. */
    public static Optional<Path> apiSocketOf(List<String> argv) {
        Path found = null;
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            String value = null;
            if (a.equals("--api-sock") && i + 1 < argv.size()) {
                value = argv.get(++i);
            } else if (a.startsWith("--api-sock=")) {
                value = a.substring("--api-sock=".length());
            }
            if (value != null) {
                if (found != null || value.isEmpty() || !value.startsWith("/")) {
                    return Optional.empty(); // two sockets, or a relative one: not a command line banger made
                }
                found = Path.of(value);
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether {@code argv} is a Firecracker serving its API on {@code apiSocket}. */
    public static boolean isFirecrackerWithApiSocket(List<String> argv, Path apiSocket) {
        return apiSocketOf(argv).map(apiSocket::equals).orElse(false);
    }

    /** The value of {@code --id}, when there is exactly one. */
    public static Optional<String> instanceIdOf(List<String> argv) {
        String found = null;
        for (int i = 1; i + 1 < argv.size(); i++) {
            if (argv.get(i).equals("--id")) {
                if (found != null) {
                    return Optional.empty();
                }
                found = argv.get(++i);
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Whether {@code argv} is VM {@code vmId}'s Firecracker: its API socket is the VM's, or, for a jailed
     * one (whose socket path is inside its chroot, the same for every VM), its instance id is the VM's
     * and its socket is the jail's.
     */
    public static boolean isFirecrackerOf(List<String> argv, Path apiSocket, String vmId) {
        if (isFirecrackerWithApiSocket(argv, apiSocket)) {
            return true;
        }
        return instanceIdOf(argv).map(vmId::equals).orElse(false)
                && apiSocketOf(argv).map(p -> p.toString().equals(JailerPlan.insidePath(JailerPlan.API_SOCKET_NAME))).orElse(false);
    }
}
