package dev.banger.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Parsers for the text files of /proc. Pure: the host layer reads the files and hands the text here. */
public final class ProcParsers {
    private ProcParsers() {
    }

    /** {@code MemTotal} of /proc/meminfo, in MiB. */
    public static long memTotalMib(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemTotal:")) {
                String[] f = line.substring("MemTotal:".length()).trim().split("\\s+");
                long kib = Long.parseLong(f[0]);
                return kib / 1024;
            }
        }
        throw new IllegalArgumentException("no MemTotal line in /proc/meminfo");
    }

    /**
     * The largest {@code cpu MHz : 2445.424} of /proc/cpuinfo (x86 lists one per CPU), rounded down; 0 when there is none
     * (arm64 lists none) or none is a figure a CPU could have.
     */
    public static long maxCpuMhz(String cpuinfo) {
        long max = 0;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals("cpu MHz")) {
                try {
                    double mhz = Double.parseDouble(line.substring(colon + 1).strip());
                    if (mhz > 0 && mhz < 1_000_000) { // not NaN, not infinite
                        max = Math.max(max, (long) mhz);
                    }
                } catch (NumberFormatException e) {
                    // not a number: another CPU's line may be
                }
            }
        }
        return max;
    }

    /** The effective UID from the {@code Uid:} line of /proc/PID/status (real, effective, saved, fs). */
    public static int effectiveUid(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).trim().split("\\s+");
                return Integer.parseInt(f[1]);
            }
        }
        throw new IllegalArgumentException("no Uid line in /proc/self/status");
    }

    /**
     * Splits /proc/PID/cmdline (arguments each ended by a NUL) into an argv. A process that rewrote its
     * cmdline may use spaces instead; that is not a VMM's habit, and the result is then one argument.
     */
    public static List<String> cmdline(byte[] cmdline) {
        List<String> argv = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                argv.add(new String(cmdline, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < cmdline.length) {
            argv.add(new String(cmdline, start, cmdline.length - start, StandardCharsets.UTF_8));
        }
        return argv;
    }

    /** The state letter of /proc/PID/stat (R, S, D, Z, ...), found after the last ')' since the name may hold any. */
    public static char processState(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        return stat.charAt(close + 2);
    }

    /**
     * The CPU time of /proc/PID/stat, user and system ({@code utime + stime}, fields 14 and 15), in clock ticks
     * (USER_HZ, 100 on Linux's x86 and arm64). Fields are counted after the last ')', since the name may hold any.
     */
    public static long cpuTicks(String stat) {
        int close = stat.lastIndexOf(')');
        String[] f = close < 0 ? new String[0] : stat.substring(close + 1).strip().split("\\s+");
        if (f.length < 13) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** {@code VmRSS} of /proc/PID/status in KiB, or -1 when absent (a kernel thread or a zombie). */
    public static long vmRssKib(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String[] f = line.substring("VmRSS:".length()).strip().split("\\s+");
                return Long.parseLong(f[0]);
            }
        }
        return -1;
    }
}
