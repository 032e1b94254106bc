package dev.banger.host.mount;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.MountInfo;
import dev.banger.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/**
 * The host side of a mount: a bind mount of the shared directory at a path of banger's, which is what virtiofsd serves.
 * A read-only mount is made read-only here, in the host's kernel, whatever virtiofsd allows; and the bind mount's root
 * must be the directory that was checked (same device and inode), else it is undone.
 */
public final class BindMounts {
    private static final Logger LOG = Logger.getLogger(BindMounts.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private BindMounts() {
    }

    /**
     * Bind-mounts {@code dir} on {@code target} (an empty directory), read-only when asked, and checks the result:
     * the same directory, and really read-only. Anything wrong is unmounted again and refused.
     */
    public static void bind(HostDirectory dir, Path target, boolean readOnly) {
        run(List.of("mount", "--bind", "--", dir.path().toString(), target.toString()), "bind-mount " + dir.path() + " on " + target);
        try {
            if (readOnly) {
                // A bind mount takes its flags from a remount: the first mount ignores ro.
                run(List.of("mount", "-o", "remount,bind,ro", "--", target.toString()), "make " + target + " read-only");
                if (!options(target).contains("ro")) {
                    throw new BangerException(ErrorCode.HOST_FAILURE, "the bind mount " + target + " is not read-only after remounting it so");
                }
            }
            HostDirectory mounted = HostDirectory.of(target);
            if (!mounted.sameAs(dir)) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, dir.path() + " changed while it was being mounted (it is "
                        + "not the directory that was checked): nothing was mounted; try again");
            }
        } catch (RuntimeException e) {
            unmount(target);
            throw e;
        }
    }

    /** Whether something is mounted on {@code target} (in this daemon's mount namespace). */
    public static boolean mounted(Path target) {
        return MountInfo.optionsOf(mountinfo(), target.toString()).isPresent();
    }

    /** Mount points at or below {@code dir}, deepest first. */
    public static List<Path> under(Path dir) {
        return MountInfo.mountPointsUnder(mountinfo(), dir.toString()).stream().map(Path::of).toList();
    }

    /**
     * Unmounts whatever is mounted on {@code target} (every layer), lazily when it is busy (a virtiofsd on its way out
     * may still hold it); nothing mounted is fine. Failures are logged: a release must go on.
     */
    public static void unmount(Path target) {
        for (int layer = 0; layer < 8 && mounted(target); layer++) {
            HostCommand.Output out = HostCommand.run(List.of("umount", "--", target.toString()), TIMEOUT);
            if (!out.ok()) {
                HostCommand.Output lazy = HostCommand.run(List.of("umount", "-l", "--", target.toString()), TIMEOUT);
                if (!lazy.ok()) {
                    LOG.warning("cannot unmount " + target + ": " + lazy.text().strip());
                    return;
                }
            }
        }
    }

    private static List<String> options(Path target) {
        return MountInfo.optionsOf(mountinfo(), target.toString()).orElse(List.of());
    }

    private static String mountinfo() {
        try {
            return Files.readString(MOUNTINFO);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read " + MOUNTINFO + ": " + e.getMessage(), e);
        }
    }

    private static void run(List<String> argv, String what) {
        HostCommand.Output out = HostCommand.run(argv, TIMEOUT);
        if (!out.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot " + what + ": " + out.text().strip());
        }
    }
}
