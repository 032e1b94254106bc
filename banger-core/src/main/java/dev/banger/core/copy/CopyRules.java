package dev.banger.core.copy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Text;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What {@code vm cp SRC DST} means, decided before anything is read or sent. One side is {@code NAME:PATH}
 * (a VM's name or id, a colon, a path in the VM), the other a host path; a host path that holds a colon is
 * written so that it cannot be read as one ({@code ./a:b}, {@code /x/a:b}), as with scp. A guest path is
 * absolute, or relative to root's home in the VM ({@code NAME:} alone is /root, {@code NAME:notes} is
 * /root/notes), since the agent writes and reads as root; a trailing '/' is kept (the destination must then be
 * an existing directory).
 */
public final class CopyRules {
    /** Linux's PATH_MAX, with room in the agent's request for the rest. */
    public static final int MAX_PATH_BYTES = 4096;
    /** Root's home in the VM: where relative guest paths start. */
    static final String GUEST_HOME = "/root";
    /** The words of {@code vm.cp}'s direction. */
    public static final String IN = "in";
    public static final String OUT = "out";
    /** A VM reference before a colon: a name (DNS label) or an id, both of these characters. */
    private static final Pattern REMOTE = Pattern.compile("([a-z0-9][a-z0-9-]{0,62}):(.*)", Pattern.DOTALL);

    /** Where the copy goes: into the VM ({@link #IN}) or out of it. */
    public record Plan(String vm, String guestPath, String hostPath, String direction) {
        public boolean intoVm() {
            return IN.equals(direction);
        }
    }

    private CopyRules() {
    }

    /** Reads {@code src} and {@code dst} as the command line gave them. */
    public static Plan plan(String src, String dst) {
        if (src == null || src.isEmpty() || dst == null || dst.isEmpty()) {
            throw invalid("vm cp needs a source and a destination: banger vm cp FILE NAME:/path, or banger vm cp NAME:/path FILE");
        }
        var from = REMOTE.matcher(src);
        var to = REMOTE.matcher(dst);
        boolean fromVm = from.matches();
        boolean toVm = to.matches();
        if (fromVm && toVm) {
            throw invalid("vm cp copies between the host and one VM: copy out of " + from.group(1) + " first, then into " + to.group(1));
        }
        if (!fromVm && !toVm) {
            throw invalid("one of SRC and DST must be in a VM, written NAME:PATH (demo:/root/file); "
                    + "a host path with a colon in it is written ./a:b");
        }
        if (toVm) {
            return new Plan(to.group(1), guestPath(to.group(2)), hostPath(src), IN);
        }
        return new Plan(from.group(1), guestPath(from.group(2)), hostPath(dst), OUT);
    }

    /** A guest path as the agent gets it: absolute (relative ones start at /root), trailing '/' kept. */
    static String guestPath(String path) {
        String p = path.isEmpty() ? GUEST_HOME : path.startsWith("/") ? path : GUEST_HOME + "/" + path;
        check(p);
        return p;
    }

    private static String hostPath(String path) {
        if (path.indexOf('\0') >= 0) {
            throw invalid("the host path holds a NUL character");
        }
        return path;
    }

    /** What bangerd accepts as a guest path: absolute, no NUL, at most {@link #MAX_PATH_BYTES} bytes. */
    public static void check(String guestPath) {
        if (guestPath == null || !guestPath.startsWith("/")) {
            throw invalid("the path in the VM must be absolute (demo:/root/file), got '" + Text.printable(String.valueOf(guestPath), 80) + "'");
        }
        if (guestPath.indexOf('\0') >= 0) {
            throw invalid("the path in the VM holds a NUL character");
        }
        int bytes = guestPath.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw invalid("the path in the VM is " + bytes + " bytes long: at most " + MAX_PATH_BYTES);
        }
    }

    /** The direction of {@code vm.cp}: {@link #IN} or {@link #OUT}. */
    public static String direction(String direction) {
        if (!IN.equals(direction) && !OUT.equals(direction)) {
            throw invalid("direction must be \"in\" (host to VM) or \"out\" (VM to host), got '" + Text.printable(String.valueOf(direction), 20) + "'");
        }
        return direction;
    }

    private static BangerException invalid(String message) {
        return new BangerException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
