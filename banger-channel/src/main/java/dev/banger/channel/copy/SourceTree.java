package dev.banger.channel.copy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;

/**
 * A copy's source: a regular file or a directory, written as an archive ({@link TarWriter}) depth-first, each
 * directory before what it holds. The path the user names is followed if it is a symbolic link (they named
 * what it points to); below it nothing is followed: links are copied as links. Only regular files,
 * directories and symbolic links are copied; a device, a FIFO or a socket is refused by name, at the top
 * before anything is sent, inside a tree when the walk reaches it. Memory: one open directory per level.
 */
public final class SourceTree {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private final Path root;
    private final String name;
    private final boolean directory;

    private SourceTree(Path root, String name, boolean directory) {
        this.root = root;
        this.name = name;
        this.directory = directory;
    }

    /** The source at {@code path} (absolute, or relative to this process's directory), checked now. */
    public static SourceTree of(Path path) throws CopyRefusal {
        Path named = path.toAbsolutePath().normalize();
        if (named.getFileName() == null) {
            throw new CopyRefusal("cannot copy / itself: copy what is in it, one directory at a time");
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw new CopyRefusal("no such file or directory: " + path);
        } catch (AccessDeniedException e) {
            throw new CopyRefusal("permission denied: " + path);
        } catch (IOException e) {
            throw new CopyRefusal("cannot copy " + path + ": " + e.getMessage());
        }
        Map<String, Object> a = attributes(real, path.toString());
        int type = mode(a) & S_IFMT;
        if (type != S_IFREG && type != S_IFDIR) {
            throw new CopyRefusal(unsupported(path.toString(), type));
        }
        return new SourceTree(real, named.getFileName().toString(), type == S_IFDIR);
    }

    /** The name the copy has in the archive (the last component of the path the user named). */
    public String name() {
        return name;
    }

    public boolean isDirectory() {
        return directory;
    }

    /**
     * Writes the tree and ends the archive. A source that cannot be read (a file, a directory, one that is
     * not a file, directory or link) stops it with a {@link CopyRefusal}, after which the caller {@link
     * TarWriter#abort aborts} the archive; other {@link IOException}s are the writer's (the connection).
     */
    public CopySummary send(TarWriter out) throws IOException {
        long[] counts = new long[4];
        Deque<Level> levels = new ArrayDeque<>();
        Map<String, Object> top = attributes(root, root.toString());
        if (emit(out, root, name, top, counts)) {
            levels.push(new Level(root, name, open(root)));
        }
        try {
            while (!levels.isEmpty()) {
                Level level = levels.peek();
                Path child;
                try {
                    child = level.entries().hasNext() ? level.entries().next() : null;
                } catch (DirectoryIteratorException e) {
                    throw new CopyRefusal("cannot read the directory " + level.path() + ": " + e.getCause().getMessage());
                }
                if (child == null) {
                    levels.pop().stream().close();
                    continue;
                }
                String childName = level.name() + "/" + child.getFileName();
                if (emit(out, child, childName, attributes(child, child.toString()), counts)) {
                    levels.push(new Level(child, childName, open(child)));
                }
            }
        } finally {
            for (Level l : levels) {
                l.stream().close();
            }
        }
        out.finish();
        return new CopySummary(counts[0], counts[1], counts[2], counts[3]);
    }

    private record Level(Path path, String name, DirectoryStream<Path> stream, Iterator<Path> entries) {
        Level(Path path, String name, DirectoryStream<Path> stream) {
            this(path, name, stream, stream.iterator());
        }
    }

    /** Writes one entry; true when it is a directory to descend into. */
    private static boolean emit(TarWriter out, Path p, String entryName, Map<String, Object> a, long[] counts) throws IOException {
        int mode = mode(a);
        FileTime mtime = (FileTime) a.get("lastModifiedTime");
        switch (mode & S_IFMT) {
            case S_IFREG -> {
                long size = (Long) a.get("size");
                InputStream in;
                try {
                    in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
                } catch (AccessDeniedException e) {
                    throw new CopyRefusal("permission denied: " + p);
                } catch (IOException e) {
                    throw new CopyRefusal("cannot read " + p + ": " + e.getMessage());
                }
                try (in) {
                    out.file(entryName, size, mode & 07777, mtime, in);
                }
                counts[0]++;
                counts[3] += size;
                return false;
            }
            case S_IFDIR -> {
                out.directory(entryName, mode & 07777, mtime);
                counts[1]++;
                return true;
            }
            case S_IFLNK -> {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    throw new CopyRefusal("cannot read the link " + p + ": " + e.getMessage());
                }
                out.symlink(entryName, target, mtime);
                counts[2]++;
                return false;
            }
            default -> throw new CopyRefusal(unsupported(p.toString(), mode & S_IFMT));
        }
    }

    private static DirectoryStream<Path> open(Path dir) throws CopyRefusal {
        try {
            return Files.newDirectoryStream(dir);
        } catch (AccessDeniedException e) {
            throw new CopyRefusal("permission denied: " + dir);
        } catch (NotDirectoryException e) {
            throw new CopyRefusal(dir + " stopped being a directory while it was copied");
        } catch (IOException e) {
            throw new CopyRefusal("cannot read the directory " + dir + ": " + e.getMessage());
        }
    }

    /** One lstat: the type and permission bits, size and mtime of {@code p} itself. */
    private static Map<String, Object> attributes(Path p, String shown) throws CopyRefusal {
        try {
            return Files.readAttributes(p, "unix:mode,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new CopyRefusal(shown + " disappeared while it was copied");
        } catch (AccessDeniedException e) {
            throw new CopyRefusal("permission denied: " + shown);
        } catch (IOException e) {
            throw new CopyRefusal("cannot copy " + shown + ": " + e.getMessage());
        }
    }

    private static int mode(Map<String, Object> a) {
        return (Integer) a.get("mode");
    }

    private static String unsupported(String path, int type) {
        String kind = switch (type) {
            case 0010000 -> "a FIFO";
            case 0020000 -> "a character device";
            case 0060000 -> "a block device";
            case 0140000 -> "a socket";
            default -> "not a regular file, directory or symbolic link";
        };
        return "cannot copy " + path + ": it is " + kind + " (only regular files, directories and symbolic links are copied)";
    }
}
