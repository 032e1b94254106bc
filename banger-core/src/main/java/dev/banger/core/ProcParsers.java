package dev.banger.core;

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
}
