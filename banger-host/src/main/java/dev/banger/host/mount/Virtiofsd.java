package dev.banger.host.mount;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.mount.VirtiofsdCommand;
import dev.banger.host.proc.DetachedProcess;
import dev.banger.host.proc.ProcessTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * virtiofsd processes: found on the host, started detached (a VM outlives the daemon, and so must its file server),
 * found again by the socket path in their command line, killed. Its argv is {@link VirtiofsdCommand}'s.
 */
public final class Virtiofsd {
    /** Where Debian puts each flavour: QEMU's own up to 7.2 (qemu-system-common), the standalone package from Debian 13. */
    private static final List<VirtiofsdCommand.Binary> KNOWN = List.of(
            new VirtiofsdCommand.Binary(VirtiofsdCommand.Flavor.QEMU, Path.of("/usr/lib/qemu/virtiofsd")),
            new VirtiofsdCommand.Binary(VirtiofsdCommand.Flavor.RUST, Path.of("/usr/libexec/virtiofsd")),
            new VirtiofsdCommand.Binary(VirtiofsdCommand.Flavor.RUST, Path.of("/usr/bin/virtiofsd")));
    private static final Path UNIX_SOCKETS = Path.of("/proc/self/net/unix");
    /** __SO_ACCEPTCON in /proc/net/unix's flags: the socket listens. */
    private static final String LISTENING = "00010000";
    private static final Duration POLL = Duration.ofMillis(20);

    private Virtiofsd() {
    }

    /** The virtiofsd this host has, QEMU's preferred (the one verified here); empty when none. */
    public static Optional<VirtiofsdCommand.Binary> find() {
        return KNOWN.stream().filter(b -> Files.isExecutable(b.path())).findFirst();
    }

    /**
     * Makes QEMU's virtiofsd's lock file for {@code socket} beforehand, owned by the user it runs as: its sandboxed
     * process cannot create files in /run/virtiofsd (root's). A stale one (a virtiofsd that died) is replaced.
     */
    public static void preparePidFile(Path pidFile, int uid, int gid) {
        try {
            Path dir = pidFile.getParent();
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.deleteIfExists(pidFile);
            Files.write(pidFile, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(pidFile, PosixFilePermissions.fromString("rw-------"));
            Files.setAttribute(pidFile, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(pidFile, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot make virtiofsd's lock file " + pidFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts {@code argv} detached, output appended to {@code log}, and waits until it listens on {@code socket}. The
     * wait reads the kernel's socket table instead of connecting: virtiofsd serves its first client only, and exits
     * when that one goes.
     */
    public static long launch(List<String> argv, Path socket, Path log, Duration timeout) {
        DetachedProcess.Launched launched = DetachedProcess.launch(new DetachedProcess.Spec(argv, Path.of("/"), log, log, "virtiofsd",
                "install Debian's qemu-system-common package (QEMU 7.2's virtiofsd) or the virtiofsd package"));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!listening(socket)) {
            if (!launched.isAlive()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "virtiofsd exited with status " + launched.exitStatus().orElse(-1)
                        + " before it listened on " + socket + "; its last output (" + log + "):\n  "
                        + String.join("\n  ", ProcessTable.tail(log, 10)));
            }
            if (System.nanoTime() > deadline) {
                ProcessTable.kill(launched.pid());
                throw new BangerException(ErrorCode.TIMED_OUT, "virtiofsd did not listen on " + socket + " within " + timeout.toSeconds()
                        + " s; its output is in " + log);
            }
            ProcessTable.sleep(POLL);
        }
        return launched.pid();
    }

    /** Whether a Unix socket bound at {@code socket} listens (in this daemon's network namespace). */
    public static boolean listening(Path socket) {
        try {
            String want = socket.toString();
            for (String line : Files.readAllLines(UNIX_SOCKETS)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 8 && f[7].equals(want) && f[3].equals(LISTENING)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read " + UNIX_SOCKETS + ": " + e.getMessage(), e);
        }
    }

    /** Every virtiofsd whose socket lies below {@code dir}, by pid (its sandbox forks: two pids per socket). */
    public static Map<Long, Path> findUnder(Path dir) {
        Map<Long, Path> found = new TreeMap<>();
        ProcessTable.scan((pid, argv) -> VirtiofsdCommand.socketOf(argv).filter(s -> s.startsWith(dir)).ifPresent(s -> found.put(pid, s)));
        return found;
    }

    /** Kills every virtiofsd whose socket lies below {@code dir} (found by command line, so never a reused pid). */
    public static List<Long> killUnder(Path dir) {
        List<Long> killed = new ArrayList<>();
        for (long pid : findUnder(dir).keySet()) {
            ProcessTable.kill(pid);
            killed.add(pid);
        }
        return killed;
    }
}
