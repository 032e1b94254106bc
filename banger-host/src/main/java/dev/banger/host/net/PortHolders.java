package dev.banger.host.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who holds a host port, for a refusal that names them: the socket inodes bound to the port in this network
 * namespace's {@code /proc/net} tables, then the process with one of them among its file descriptors. What is not
 * visible (another namespace's process, a race) is said so, never guessed.
 */
public final class PortHolders {
    private static final int MAX_TABLE_BYTES = 8 << 20;
    private static final int MAX_PROCESSES = 100_000;

    private PortHolders() {
    }

    /** "pid 1234 (nginx)", or empty when no process of this host is seen holding {@code protocol} ("tcp"|"udp") {@code port}. */
    public static Optional<String> describe(String protocol, int port) {
        Set<String> inodes = new HashSet<>();
        String proto = protocol.toLowerCase(Locale.ROOT);
        for (String table : new String[] {proto, proto + "6"}) {
            inodes.addAll(inodes(read(Path.of("/proc/net", table)), port, proto.equals("tcp")));
        }
        inodes.remove("0");
        if (inodes.isEmpty()) {
            return Optional.empty();
        }
        int seen = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                if (++seen > MAX_PROCESSES) {
                    break;
                }
                Optional<String> found = holderIn(proc, inodes);
                if (found.isPresent()) {
                    return found;
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * The socket inodes bound to local {@code port} in one /proc/net table's text (column 2 is ADDR:PORT in hex, column 4
     * the state, column 10 the inode); TCP counts listening sockets only (state 0A).
     */
    static Set<String> inodes(String table, int port, boolean listeningOnly) {
        Set<String> out = new HashSet<>();
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        String[] lines = table.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split("\\s+");
            if (f.length < 10 || !f[1].toUpperCase(Locale.ROOT).endsWith(":" + hexPort)) {
                continue;
            }
            if (listeningOnly && !f[3].equalsIgnoreCase("0A")) {
                continue;
            }
            out.add(f[9]);
        }
        return out;
    }

    private static Optional<String> holderIn(Path proc, Set<String> inodes) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue;
                }
                if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                    String comm = read(proc.resolve("comm")).strip();
                    return Optional.of("pid " + proc.getFileName() + (comm.isEmpty() ? "" : " (" + printable(comm) + ")"));
                }
            }
        } catch (IOException | SecurityException e) {
            // gone, or not ours to read
        }
        return Optional.empty();
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(64).forEach(cp -> sb.appendCodePoint(cp < 0x20 || cp == 0x7f ? '?' : cp));
        return sb.toString();
    }

    private static String read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(MAX_TABLE_BYTES), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }
}
