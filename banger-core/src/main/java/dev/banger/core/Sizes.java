package dev.banger.core;

import dev.banger.api.BangerException;
import java.util.Locale;

/**
 * Human sizes as users type them: a whole number with an optional binary unit. {@code 512}, {@code 512M},
 * {@code 512MiB} are MiB; {@code 2G}/{@code 2GiB} and {@code 1T}/{@code 1TiB} scale by 1024. Everything
 * inside banger is MiB.
 */
public final class Sizes {
    /** 16 EiB would overflow a long of bytes; nobody needs more than 1 PiB of VM disk. */
    public static final long MAX_MIB = 1L << 30;

    private Sizes() {
    }

    public static long parseMib(String what, String text) {
        if (text == null || text.isBlank()) {
            throw BangerException.invalid(what + " is empty: give a size such as 512M or 4G");
        }
        String t = text.trim().toUpperCase(Locale.ROOT);
        int end = 0;
        while (end < t.length() && t.charAt(end) >= '0' && t.charAt(end) <= '9') {
            end++;
        }
        if (end == 0) {
            throw BangerException.invalid(what + " '" + text + "' is not a size: give a whole number with an optional unit M, G or T (e.g. 512M, 4G)");
        }
        String unit = t.substring(end);
        long scale = switch (unit) {
            case "", "M", "MB", "MIB" -> 1;
            case "G", "GB", "GIB" -> 1024;
            case "T", "TB", "TIB" -> 1024 * 1024;
            default -> throw BangerException.invalid(what + " '" + text + "' has unknown unit '" + text.trim().substring(end)
                    + "': use M, G or T (binary: 1G = 1024M; whole numbers only: 1536M, not 1.5G)");
        };
        long number;
        try {
            number = Long.parseLong(t.substring(0, end));
        } catch (NumberFormatException tooLong) {
            throw BangerException.invalid(what + " '" + text + "' is too large");
        }
        if (number > MAX_MIB / scale) {
            throw BangerException.invalid(what + " '" + text + "' is too large (limit 1P)");
        }
        return number * scale;
    }

    /** The shortest exact rendering: 512M, 4G, 1536M. */
    public static String formatMib(long mib) {
        if (mib > 0 && mib % (1024 * 1024) == 0) {
            return (mib / (1024 * 1024)) + "T";
        }
        if (mib > 0 && mib % 1024 == 0) {
            return (mib / 1024) + "G";
        }
        return mib + "M";
    }
}
