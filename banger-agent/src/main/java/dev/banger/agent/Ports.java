package dev.banger.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The guest's listening sockets: {@code ss -H -t -u -l -n -p} (an argv, no shell), parsed by
 * {@link SsListeners}, each process given its command line from /proc. Bounded: ss's output is read up
 * to 1 MiB and ss is killed after 5 s; a command line is cut at 1 KiB. The agent's own listener is left out.
 */
class Ports {
    static final List<String> SS = List.of("ss", "-H", "-t", "-u", "-l", "-n", "-p");
    private static final int MAX_SS_BYTES = 1 << 20;
    private static final int MAX_COMMAND_BYTES = 1024;

    /** The agent's own listeners (its TCP fallback) are not the user's services: left out of the list. */
    private final long hiddenPid;

    Ports() {
        this(ProcessHandle.current().pid());
    }

    Ports(long hiddenPid) {
        this.hiddenPid = hiddenPid;
    }

    /**
     * What the agent answers for "ports": {@code {"listeners": [{"proto", "address", "port",
     * "processes": [{"name", "pid", "command"}]}], "skipped": N}} (N: ss lines that were not understood).
     */
    Map<String, Object> list() throws IOException {
        SsListeners.Parsed parsed = SsListeners.parse(runSs());
        List<Object> out = new ArrayList<>();
        for (SsListeners.Listener l : parsed.listeners()) {
            if (!l.processes().isEmpty() && l.processes().stream().allMatch(p -> p.pid() == hiddenPid)) {
                continue;
            }
            List<Object> procs = new ArrayList<>();
            for (SsListeners.Proc p : l.processes()) {
                Map<String, Object> proc = new LinkedHashMap<>();
                proc.put("name", p.name());
                proc.put("pid", p.pid());
                proc.put("command", command(p.pid()));
                procs.add(proc);
            }
            Map<String, Object> listener = new LinkedHashMap<>();
            listener.put("proto", l.proto());
            listener.put("address", l.address());
            listener.put("port", l.port());
            listener.put("processes", procs);
            out.add(listener);
        }
        Map<String, Object> listing = new LinkedHashMap<>();
        listing.put("listeners", out);
        listing.put("skipped", parsed.skipped());
        return listing;
    }

    String runSs() throws IOException {
        java.lang.Process p = new ProcessBuilder(SS).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        byte[] out = readBounded(p.getInputStream(), MAX_SS_BYTES);
        if (out.length >= MAX_SS_BYTES) {
            p.destroyForcibly(); // a flood: keep what fits (its cut last line is skipped by the parser)
            return new String(out, StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("ss did not finish within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted");
        }
        if (p.exitValue() != 0) {
            throw new IOException("ss exited with status " + p.exitValue());
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** /proc/PID/cmdline with its NULs as spaces, cut at 1 KiB; empty when unreadable (a kernel thread, gone). */
    static String command(long pid) {
        try (InputStream in = Files.newInputStream(Path.of("/proc", Long.toString(pid), "cmdline"))) {
            byte[] raw = readBounded(in, MAX_COMMAND_BYTES);
            int end = raw.length;
            while (end > 0 && raw[end - 1] == 0) {
                end--;
            }
            for (int i = 0; i < end; i++) {
                if (raw[i] == 0) {
                    raw[i] = ' ';
                }
            }
            return new String(raw, 0, end, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static byte[] readBounded(InputStream in, int max) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while (b.size() < max && (n = in.read(buf, 0, Math.min(buf.length, max - b.size()))) > 0) {
            b.write(buf, 0, n);
        }
        return b.toByteArray();
    }
}
