package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The daemon's state tree is root's: files in it are opened without following links, and a directory is
 * used only when it is a real directory, owned by the daemon's user, that nobody else may write. A link
 * planted there (by anyone who could) must never make root write keys, tokens or disks elsewhere, or read
 * them from elsewhere.
 */
public final class StateFiles {
    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS = Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private StateFiles() {
    }

    /**
     * Throws unless {@code dir} is a real directory (not a link), owned by this process's user, and not
     * writable by group or others. {@code what} names it in the message ("the VM directory of 'demo'").
     */
    public static void requireOwnDirectory(Path dir, String what) {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, what + " " + dir + " is missing");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot inspect " + what + " " + dir + ": " + e.getMessage(), e);
        }
        String problem = null;
        if (a.isSymbolicLink()) {
            problem = "is a symbolic link" + target(dir).map(t -> " to " + t).orElse("");
        } else if (!a.isDirectory()) {
            problem = "is not a directory";
        } else if (!ownedByUs(dir)) {
            problem = "is owned by " + a.owner().getName() + ", not by the daemon's user";
        } else if (a.permissions().stream().anyMatch(WRITABLE_BY_OTHERS::contains)) {
            problem = "is writable by its group or others (mode " + java.nio.file.attribute.PosixFilePermissions.toString(a.permissions()) + ")";
        }
        if (problem != null) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, what + " " + dir + " " + problem
                    + ": banger never follows links in its state directory nor uses a directory others could change. "
                    + "Move it aside and restore the real directory (or delete the VM)");
        }
    }

    /** The entries of {@code dir} that are symbolic links, with their targets ("name -> target"). */
    public static List<String> linksIn(Path dir) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                if (Files.isSymbolicLink(p)) {
                    out.add(p.getFileName() + " -> " + target(p).orElse("?"));
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * The file's text, opened without following a link, refused when larger than {@code maxBytes}; empty
     * when there is no such file.
     */
    public static Optional<String> readBounded(Path file, int maxBytes) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            if (ch.size() > maxBytes) {
                throw new IOException(file + " is " + ch.size() + " bytes, more than the " + maxBytes + " it may be");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // fill
            }
            return Optional.of(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (Files.isSymbolicLink(file)) {
                throw new IOException(file + " is a symbolic link; banger does not follow links in its state directory", e);
            }
            throw e;
        }
    }

    private static boolean ownedByUs(Path dir) {
        try {
            Object uid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            return uid instanceof Integer i && i == ProcParsersHolder.effectiveUid();
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static Optional<String> target(Path link) {
        try {
            return Optional.of(dev.banger.core.Text.printable(Files.readSymbolicLink(link).toString(), 200));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** This process's effective uid, read once. */
    private static final class ProcParsersHolder {
        private static final int EUID = read();

        static int effectiveUid() {
            return EUID;
        }

        private static int read() {
            try {
                return (int) dev.banger.core.ProcParsers.effectiveUid(Files.readString(Path.of("/proc/self/status")));
            } catch (IOException e) {
                return -1;
            }
        }
    }
}
