package dev.banger.host.mount;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Text;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A host directory named for a mount, resolved safely: absolute, every link resolved ({@code toRealPath}), then its
 * owner and identity (device and inode) read without following a link. The identity is checked again on the bind
 * mount made of it ({@link BindMounts}), so a directory swapped for another between the check and the mount is refused.
 *
 * @param path  the resolved path (no links)
 * @param owner its owner's uid
 * @param group its group's gid
 * @param dev   its device
 * @param ino   its inode
 */
public record HostDirectory(Path path, int owner, int group, long dev, long ino) {
    /** Resolves {@code requested}; INVALID_ARGUMENT naming the path when it is not an existing directory. */
    public static HostDirectory resolve(String requested) {
        Path p = Path.of(requested);
        if (!p.isAbsolute()) {
            throw BangerException.invalid("mount " + Text.quote(requested) + ": the host directory must be an absolute path");
        }
        Path real;
        try {
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw BangerException.invalid("mount " + Text.quote(requested) + ": no such directory on the host");
        } catch (IOException e) {
            throw BangerException.invalid("mount " + Text.quote(requested) + ": cannot resolve it: " + e.getMessage());
        }
        HostDirectory d = of(real);
        return d;
    }

    /** The directory at {@code real} (already resolved), read without following a link. */
    public static HostDirectory of(Path real) {
        try {
            if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
                throw BangerException.invalid("mount " + Text.quote(real.toString()) + ": not a directory");
            }
            Map<String, Object> a = Files.readAttributes(real, "unix:uid,gid,dev,ino", LinkOption.NOFOLLOW_LINKS);
            return new HostDirectory(real, (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("dev"), (Long) a.get("ino"));
        } catch (NoSuchFileException e) {
            throw BangerException.invalid("mount " + Text.quote(real.toString()) + ": no such directory on the host");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read " + real + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code other} is the same directory (device and inode), wherever it is seen from. */
    public boolean sameAs(HostDirectory other) {
        return dev == other.dev && ino == other.ino;
    }
}
