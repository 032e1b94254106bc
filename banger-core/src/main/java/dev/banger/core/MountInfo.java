package dev.banger.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Parses /proc/self/mountinfo: which mount points lie inside a directory, deepest first. */
public final class MountInfo {
    private MountInfo() {
    }

    /**
     * Mount points at or below {@code dir}, deepest first (the order to unmount them in). Field 5 of each
     * line is the mount point, with spaces and other specials written as octal escapes (\040).
     */
    public static List<String> mountPointsUnder(String mountinfo, String dir) {
        String prefix = dir.endsWith("/") ? dir : dir + "/";
        List<String> out = new ArrayList<>();
        for (String line : mountinfo.split("\\n")) {
            String[] f = line.split(" ");
            if (f.length < 5) {
                continue;
            }
            String mountPoint = unescape(f[4]);
            if (mountPoint.equals(dir) || mountPoint.startsWith(prefix)) {
                out.add(mountPoint);
            }
        }
        out.sort(Comparator.comparingInt(String::length).reversed());
        return out;
    }

    /**
     * The per-mount options (field 6: "ro,nosuid,...") of the last mount on {@code mountPoint} (the one on top, the one
     * a path there reaches); empty when nothing is mounted there.
     */
    public static java.util.Optional<List<String>> optionsOf(String mountinfo, String mountPoint) {
        java.util.Optional<List<String>> found = java.util.Optional.empty();
        for (String line : mountinfo.split("\\n")) {
            String[] f = line.split(" ");
            if (f.length >= 6 && unescape(f[4]).equals(mountPoint)) {
                found = java.util.Optional.of(List.of(f[5].split(",")));
            }
        }
        return found;
    }

    static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
