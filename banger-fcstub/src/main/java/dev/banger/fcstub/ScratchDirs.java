package dev.banger.fcstub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where the emulated guest keeps its QMP socket: a fresh directory PID-RANDOM under the first usable
 * base, which must lie outside the API socket's directory tree and outside /var/lib/banger. bangerd
 * scans its VM directories for QEMU processes whose QMP socket is inside and kills them as strays; the
 * stub's QEMU belongs to the "firecracker" process, not to bangerd.
 *
 * <p>A stub killed with SIGKILL cannot remove its directory (its QEMU dies with it, by PDEATHSIG), so
 * each new one first removes the directories of stubs that are no longer alive.
 */
public final class ScratchDirs {
    static final Path BANGER_STATE = Path.of("/var/lib/banger");
    private static final Pattern NAME = Pattern.compile("([0-9]{1,10})-[0-9a-f]{8}");

    private ScratchDirs() {
    }

    static List<Path> candidateBases() {
        return List.of(Path.of("/run/banger-fcstub"), Path.of("/dev/shm/banger-fcstub"),
                Path.of(System.getProperty("java.io.tmpdir"), "banger-fcstub"));
    }

    /** Creates this process's scratch directory under the first base that is allowed and writable. */
    static Path create(Path apiSocket) throws IOException {
        Path apiDir = apiSocket.toAbsolutePath().normalize().getParent();
        List<String> tried = new ArrayList<>();
        for (Path base : candidateBases()) {
            if (!allowed(base, apiDir)) {
                tried.add(base + " (inside the API socket's directory or banger's state)");
                continue;
            }
            try {
                Files.createDirectories(base);
                removeStale(base);
                String name = ProcessHandle.current().pid() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
                return Files.createDirectory(base.resolve(name));
            } catch (IOException e) {
                tried.add(base + " (" + e.getMessage() + ")");
            }
        }
        throw new IOException("no directory for the guest's QMP socket: tried " + String.join(", ", tried));
    }

    /** Whether {@code base} keeps clear of the API socket's directory tree and of banger's state. */
    static boolean allowed(Path base, Path apiDir) {
        Path b = base.toAbsolutePath().normalize();
        return !b.startsWith(apiDir.toAbsolutePath().normalize()) && !b.startsWith(BANGER_STATE);
    }

    /** The pid a scratch directory's name carries, or -1 when the name is not one of ours. */
    static long ownerPid(String name) {
        Matcher m = NAME.matcher(name);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Removes every dead stub's scratch directory, and the bases left empty: for a test that killed
     * stubs (SIGKILL leaves their directories) and wants the host as it found it.
     */
    public static void removeStaleEverywhere() throws IOException {
        for (Path base : candidateBases()) {
            if (Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)) {
                removeStale(base);
                try (DirectoryStream<Path> left = Files.newDirectoryStream(base)) {
                    if (!left.iterator().hasNext()) {
                        Files.deleteIfExists(base);
                    }
                }
            }
        }
    }

    /** Removes the scratch directories under {@code base} whose stub is no longer alive. */
    static void removeStale(Path base) throws IOException {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base)) {
            for (Path d : dirs) {
                long pid = ownerPid(d.getFileName().toString());
                if (pid > 0 && ProcessHandle.of(pid).isEmpty() && Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    deleteTree(d);
                }
            }
        }
    }

    /** Deletes a directory and what is in it, never following a link out of it. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
