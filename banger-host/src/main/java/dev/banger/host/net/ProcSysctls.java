package dev.banger.host.net;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@link Sysctls} through /proc/sys: a file write, never {@code sysctl} in a shell. */
public final class ProcSysctls implements Sysctls {
    private static final Path ROOT = Path.of("/proc/sys");

    @Override
    public String read(String key) {
        try {
            return Files.readString(path(key)).strip();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot read " + path(key) + ": " + e.getMessage());
        }
    }

    @Override
    public void write(String key, String value) {
        try {
            Files.writeString(path(key), value + "\n");
        } catch (AccessDeniedException e) {
            throw new BangerException(ErrorCode.PERMISSION_DENIED, "cannot set " + key + ": " + e.getMessage()
                    + " is not writable; bangerd must run as root (and not in a container with /proc/sys read-only)");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot set " + key + " = " + value + ": " + e.getMessage());
        }
    }

    /** Keys are dotted words ([a-z0-9_-]); anything else could climb out of /proc/sys. */
    static Path path(String key) {
        if (key == null || !key.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
            throw BangerException.invalid("'" + key + "' is not a sysctl key such as net.ipv4.ip_forward");
        }
        return ROOT.resolve(key.replace('.', '/'));
    }
}
