package dev.banger.host;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The PATH banger's commands run with: the caller's, plus the directories where Debian keeps the
 * administration tools banger uses (mkfs.ext4, mkfs.vfat, ip, losetup, nft live in /usr/sbin or /sbin),
 * which a normal user's PATH lacks on Debian. Whether such a tool is found must not depend on how the
 * daemon or a test was started.
 */
public final class SystemPath {
    /** Only the administrators' directories: programs in the others (QEMU, ssh) are found as the PATH says. */
    private static final List<String> SYSTEM_DIRS = List.of("/usr/local/sbin", "/usr/sbin", "/sbin");

    private SystemPath() {
    }

    /** {@code path} with the system directories appended where missing. */
    public static String with(String path) {
        Set<String> dirs = new LinkedHashSet<>();
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        return String.join(":", dirs);
    }

    /** The PATH to look programs up in now. */
    public static String current() {
        return with(System.getenv("PATH"));
    }

    /**
     * Sets a child's PATH to {@link #with} its inherited one, and names its program by its full path when
     * found there (the JDK looks a bare name up in this process's own PATH, not the child's).
     */
    public static ProcessBuilder apply(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        String path = with(env.get("PATH"));
        env.put("PATH", path);
        List<String> command = pb.command();
        if (!command.isEmpty() && !command.getFirst().contains("/")) {
            for (String dir : path.split(":")) {
                java.nio.file.Path candidate = java.nio.file.Path.of(dir, command.getFirst());
                if (java.nio.file.Files.isExecutable(candidate)) {
                    List<String> resolved = new java.util.ArrayList<>(command);
                    resolved.set(0, candidate.toString());
                    pb.command(resolved);
                    break;
                }
            }
        }
        return pb;
    }
}
