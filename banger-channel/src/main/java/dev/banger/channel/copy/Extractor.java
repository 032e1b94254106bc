package dev.banger.channel.copy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes an archive from a peer under a {@link CopyTarget}, and nowhere else, whatever the archive holds:
 *
 * <ul>
 *   <li>names are relative and plain: no leading '/', no {@code .} or {@code ..} component, no empty one, each
 *       component at most 255 bytes; all begin with the archive's top name, given by its first entry;</li>
 *   <li>an entry's directory must be one this archive made or merged and that is still open (entries come
 *       depth-first, as {@link SourceTree} writes them): so nothing is ever written through a symbolic link,
 *       one the archive made or one that was there, and no path outside the target is ever reached;</li>
 *   <li>an existing directory is merged into, an existing file or link replaced (by rename: never written
 *       through), an existing directory never replaced by a file or a link;</li>
 *   <li>a file is written under a temporary name in its directory and renamed once its checksum matched, so a
 *       failure never leaves a half-written file under its name (the temporary one is removed);</li>
 *   <li>modes are applied through {@code modeMask}, directories' modes and mtimes once their contents are in.</li>
 * </ul>
 *
 * Memory: one buffer and one entry per open directory level (bounded by the name length).
 */
public final class Extractor {
    /** The modes a guest keeps: permissions, setuid, setgid, sticky. */
    public static final int ALL_MODE_BITS = 07777;
    /** The modes the host keeps from a guest: permissions only, never a setuid or setgid file made by a guest. */
    public static final int PERMISSION_BITS = 0777;
    private static final int MAX_COMPONENT_BYTES = 255;
    /** A stream's reads bring at most a frame (64 KiB) at a time. */
    private static final int CHUNK = 64 * 1024;

    private final CopyTarget target;
    private final int modeMask;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    private final Deque<OpenDirectory> open = new ArrayDeque<>();
    /** The temporary file or link being written, for {@link #abandon()} from another thread. */
    private volatile Path inProgress;
    private String top;
    private long files;
    private long directories;
    private long symlinks;
    private long bytes;

    private record OpenDirectory(Path path, int mode, FileTime mtime) {
    }

    public Extractor(CopyTarget target, int modeMask) {
        this.target = target;
        this.modeMask = modeMask;
    }

    /** Reads {@code reader} to its end, writing each entry as it comes; the first refusal or failure stops it. */
    public CopySummary extract(TarReader reader) throws IOException {
        try {
            for (TarEntry e; (e = reader.next()) != null; ) {
                place(e, reader);
            }
            if (top == null) {
                throw new CopyRefusal("the archive was empty: nothing was copied");
            }
            while (!open.isEmpty()) {
                close(open.pop());
            }
            return new CopySummary(files, directories, symlinks, bytes);
        } finally {
            // what was made keeps its modes and times even when the copy stopped half-way
            while (!open.isEmpty()) {
                try {
                    close(open.pop());
                } catch (IOException ignored) {
                    // the failure that stopped the copy is the one to report
                }
            }
        }
    }

    /**
     * Removes the temporary file being written, if any: for a process that is being stopped (Ctrl-C) while
     * {@link #extract} runs on another thread, which never renames it then (its data cannot be complete).
     */
    public void abandon() {
        Path p = inProgress;
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort on the way out
            }
        }
    }

    private void place(TarEntry e, TarReader reader) throws IOException {
        String[] parts = split(e.name());
        if (top == null) {
            if (parts.length != 1) {
                throw refused(e, "the archive must begin with its top entry");
            }
            top = parts[0];
        } else if (!parts[0].equals(top) || parts.length == 1) {
            throw refused(e, "every entry must lie inside the copy's top entry " + PeerFailure.shown(top));
        }
        Path path = target.root(top);
        for (int i = 1; i < parts.length; i++) {
            path = path.resolve(parts[i]);
        }
        while (!open.isEmpty() && !path.startsWith(open.peek().path())) {
            close(open.pop());
        }
        if (parts.length > 1 && (open.isEmpty() || !open.peek().path().equals(path.getParent()))) {
            throw refused(e, "its directory is not one this copy made (entries out of order, or a path through a link)");
        }
        BasicFileAttributes there = attributes(path);
        switch (e.kind()) {
            case DIRECTORY -> {
                if (there != null && !there.isDirectory()) {
                    throw refused(e, there.isSymbolicLink() ? "a symbolic link is in its place (never written through)"
                            : "a file that is not a directory is in its place");
                }
                if (there == null) {
                    try {
                        Files.createDirectory(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                    } catch (FileAlreadyExistsException raced) {
                        throw refused(e, "something appeared in its place while it was copied");
                    } catch (AccessDeniedException denied) {
                        throw new CopyRefusal("permission denied: cannot make a directory in " + path.getParent());
                    }
                }
                open.push(new OpenDirectory(path, e.mode(), e.mtime()));
                directories++;
            }
            case FILE -> {
                refuseDirectoryAt(e, there);
                writeFile(e, path, reader.content());
                files++;
                bytes += e.size();
            }
            case SYMLINK -> {
                refuseDirectoryAt(e, there);
                Path temp = temporary(path);
                try {
                    inProgress = temp;
                    Files.createSymbolicLink(temp, Path.of(e.linkTarget()));
                    setTime(temp, e.mtime());
                    install(e, temp, path);
                } finally {
                    Files.deleteIfExists(temp);
                    inProgress = null;
                }
                symlinks++;
            }
        }
    }

    private void writeFile(TarEntry e, Path path, InputStream content) throws IOException {
        Path temp = temporary(path);
        inProgress = temp;
        try {
            FileChannel out;
            try {
                out = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (AccessDeniedException denied) {
                throw new CopyRefusal("permission denied: cannot write a file in " + path.getParent());
            }
            try (out) {
                byte[] b = buffer.array();
                for (int n; (n = content.read(b, 0, b.length)) >= 0; ) { // -1 only once the checksum matched
                    buffer.clear().limit(n);
                    while (buffer.hasRemaining()) {
                        out.write(buffer);
                    }
                }
            }
            Files.setAttribute(temp, "unix:mode", e.mode() & modeMask, LinkOption.NOFOLLOW_LINKS);
            setTime(temp, e.mtime());
            install(e, temp, path);
        } finally {
            Files.deleteIfExists(temp);
            inProgress = null;
        }
    }

    /** Renames {@code temp} onto {@code path}: a file or link there is replaced, a directory that appeared meanwhile refused. */
    private void install(TarEntry e, Path temp, Path path) throws IOException {
        refuseDirectoryAt(e, attributes(path));
        try {
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException failed) {
            throw refused(e, "cannot put it in place: " + failed.getMessage());
        }
    }

    private void refuseDirectoryAt(TarEntry e, BasicFileAttributes there) throws CopyRefusal {
        if (there != null && there.isDirectory()) {
            throw refused(e, "a directory is in its place");
        }
    }

    /** A directory's own mode and mtime, given once everything inside it is written (writing would change the mtime). */
    private void close(OpenDirectory d) throws IOException {
        Files.setAttribute(d.path(), "unix:mode", d.mode() & modeMask, LinkOption.NOFOLLOW_LINKS);
        setTime(d.path(), d.mtime());
    }

    private static void setTime(Path p, FileTime mtime) throws IOException {
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(mtime, null, null);
    }

    /** What is at {@code p} itself (a link is a link), or null when nothing is. */
    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (AccessDeniedException e) {
            throw new CopyRefusal("permission denied: " + p);
        }
    }

    /** A fresh name beside {@code path}, never one that exists (the file is created with O_EXCL). */
    private static Path temporary(Path path) {
        return path.resolveSibling(".banger-cp-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".tmp");
    }

    /** The components of an entry's name, each a plain name; anything else is refused. */
    static String[] split(String name) throws CopyRefusal {
        if (name.startsWith("/")) {
            throw new CopyRefusal("refused " + PeerFailure.shown(name) + " from the archive: an absolute name (names in a copy are relative)");
        }
        String[] parts = name.split("/", -1);
        for (String p : parts) {
            if (p.isEmpty() || p.equals(".") || p.equals("..")) {
                throw new CopyRefusal("refused " + PeerFailure.shown(name) + " from the archive: "
                        + (p.equals("..") ? "a '..' component (it would climb out of the destination)" : "an empty or '.' component"));
            }
            if (p.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw new CopyRefusal("refused " + PeerFailure.shown(name) + " from the archive: a component longer than " + MAX_COMPONENT_BYTES
                        + " bytes");
            }
        }
        return parts;
    }

    private static CopyRefusal refused(TarEntry e, String why) {
        return new CopyRefusal("refused " + PeerFailure.shown(e.name()) + " from the archive: " + why);
    }
}
