package dev.banger.agent;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The guest's files for the host, one answer each: {@code fs_stat}, {@code fs_list} ({@code depth} levels,
 * at most {@link #MAX_ENTRIES} entries, {@code truncated} when cut), {@code fs_mkdir} (with its parents; one
 * that exists is refused, kind {@code exists}), {@code fs_move} (a rename: replaces a file at the destination,
 * makes the destination's parents), {@code fs_remove} (a file, a link, or a whole tree, no link followed).
 * Paths are absolute. With {@code user}, the work is done with that user's rights ({@link AsUser}): what it
 * makes is theirs, what they may not touch is refused, kind {@code denied}. An entry is a JSON object:
 * name, path, type (file, dir, symlink, other), size, mode (permission bits), permissions (as {@code ls -l}
 * writes them), owner, group, mtime_ms, and symlink_target for a link (never followed).
 */
final class FsOps {
    static final int MAX_ENTRIES = 2000;
    static final int MAX_DEPTH = 64;
    static final int MAX_PATH = 4096;
    private static final int DELETE_BATCH = 512;
    /** Refusal kinds beside {@link Launch.Refused}'s, which the daemon maps to its own error codes. */
    static final String EXISTS = "exists";
    static final String DENIED = "denied";
    static final String INVALID = "invalid";

    private final Users users;

    FsOps(Users users) {
        this.users = users;
    }

    /** The answer to {@code request}, an {@code fs_*} op other than the watch. */
    Map<String, Object> answer(Request request) throws Launch.Refused {
        return call(account(request, users), () -> switch (request.op()) {
            case "fs_stat" -> stat(path(request, "path"));
            case "fs_list" -> list(path(request, "path"), (int) request.number("depth", 1, 1, MAX_DEPTH));
            case "fs_mkdir" -> mkdir(path(request, "path"));
            case "fs_move" -> move(path(request, "source"), path(request, "destination"));
            case "fs_remove" -> remove(path(request, "path"));
            default -> throw new IllegalArgumentException("not a file-system op: " + request.op());
        });
    }

    /** {@code work} done as {@code account} ({@link AsUser}); its I/O failures as refusals whose kind says which way. */
    static <T> T call(Users.Account account, Callable<T> work) throws Launch.Refused {
        try {
            return AsUser.call(account, work);
        } catch (Launch.Refused | IllegalArgumentException e) {
            throw e;
        } catch (IOException e) {
            throw refused(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Launch.Refused(Launch.Refused.PRECONDITION, "interrupted");
        } catch (Exception e) {
            throw new Launch.Refused(Launch.Refused.PRECONDITION, String.valueOf(e.getMessage()));
        }
    }

    /** The request's {@code user}, or null (root) when it names none. */
    static Users.Account account(Request request, Users users) throws Launch.Refused {
        String user = request.string("user", "");
        if (user.isEmpty()) {
            return null;
        }
        return users.find(user).orElseThrow(() -> new Launch.Refused(Launch.Refused.NOT_FOUND, "no user '" + clip(user) + "' in this VM"));
    }

    /** An absolute path of at most {@link #MAX_PATH} characters, normalized ({@code ..} resolved by name, as envd does). */
    static Path path(Request request, String key) {
        String s = request.string(key, "");
        if (s.isEmpty() || s.length() > MAX_PATH || !s.startsWith("/")) {
            throw new IllegalArgumentException("'" + key + "' must be an absolute path of at most " + MAX_PATH + " characters");
        }
        try {
            return Path.of(s).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + key + "' is not a path: " + e.getReason());
        }
    }

    private static Map<String, Object> stat(Path p) throws IOException {
        return one("entry", entry(p));
    }

    private static Map<String, Object> list(Path dir, int depth) throws IOException {
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class); // follows a link, as listing one does
        if (!a.isDirectory()) {
            throw new NotDirectoryException(dir.toString());
        }
        List<Map<String, Object>> entries = new ArrayList<>();
        boolean truncated = walk(dir, depth, entries);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("entries", entries);
        r.put("truncated", truncated);
        return r;
    }

    /**
     * Adds {@code dir}'s entries, then those of its subdirectories (not links) down to {@code depth}; true when
     * cut. At most what the listing still has room for is read from a directory (a huge one is never held
     * whole in the agent's small heap), so a cut listing is sorted within what was read.
     */
    private static boolean walk(Path dir, int depth, List<Map<String, Object>> into) throws IOException {
        List<Path> children = new ArrayList<>();
        boolean more = false;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (into.size() + children.size() >= MAX_ENTRIES) {
                    more = true;
                    break;
                }
                children.add(p);
            }
        } catch (AccessDeniedException e) {
            if (into.isEmpty()) {
                throw e; // the directory asked for; a subdirectory the user may not read is only left out
            }
            return false;
        }
        children.sort(null);
        for (Path p : children) {
            if (into.size() >= MAX_ENTRIES) {
                return true;
            }
            Map<String, Object> e;
            try {
                e = entry(p);
            } catch (NoSuchFileException gone) {
                continue; // removed while listed
            }
            into.add(e);
            if (depth > 1 && "dir".equals(e.get("type")) && walk(p, depth - 1, into)) {
                return true;
            }
        }
        return more;
    }

    private static Map<String, Object> mkdir(Path p) throws IOException {
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(p.toString());
        }
        Files.createDirectories(p);
        return one("entry", entry(p));
    }

    private static Map<String, Object> move(Path from, Path to) throws IOException {
        Files.readAttributes(from, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS); // the source's absence said first
        Path parent = to.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE); // rename(2): same file system, replaces a file there
        return one("entry", entry(to));
    }

    private static Map<String, Object> remove(Path p) throws IOException {
        if (p.getParent() == null) {
            throw new IllegalArgumentException("the root directory is not removed");
        }
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isDirectory()) {
            deleteTree(p);
        } else {
            Files.delete(p);
        }
        return one("path", p.toString());
    }

    /** Removes {@code dir}'s tree, a batch of its entries at a time (bounded memory whatever its size), no link followed. */
    private static void deleteTree(Path dir) throws IOException {
        while (true) {
            List<Path> batch = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path c : s) {
                    batch.add(c);
                    if (batch.size() >= DELETE_BATCH) {
                        break;
                    }
                }
            }
            if (batch.isEmpty()) {
                break;
            }
            for (Path c : batch) {
                if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                    deleteTree(c);
                } else {
                    Files.deleteIfExists(c);
                }
            }
        }
        Files.deleteIfExists(dir);
    }

    /** {@code p} as an entry, the link itself when it is one. */
    static Map<String, Object> entry(Path p) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Map<String, Object> e = new LinkedHashMap<>();
        Path name = p.getFileName();
        e.put("name", name == null ? "/" : name.toString());
        e.put("path", p.toString());
        String type = a.isSymbolicLink() ? "symlink" : a.isDirectory() ? "dir" : a.isRegularFile() ? "file" : "other";
        e.put("type", type);
        e.put("size", a.size());
        int mode = 0;
        for (var perm : a.permissions()) {
            mode |= 0400 >> perm.ordinal(); // OWNER_READ is 0, ... OTHERS_EXECUTE is 8: the bits in ls order
        }
        e.put("mode", mode);
        e.put("permissions", typeLetter(type) + PosixFilePermissions.toString(a.permissions()));
        e.put("owner", a.owner().getName());
        e.put("group", a.group().getName());
        e.put("mtime_ms", a.lastModifiedTime().toMillis());
        if (a.isSymbolicLink()) {
            e.put("symlink_target", Files.readSymbolicLink(p).toString());
        }
        return e;
    }

    private static String typeLetter(String type) {
        return switch (type) {
            case "dir" -> "d";
            case "symlink" -> "l";
            case "file" -> "-";
            default -> "?";
        };
    }

    /** An I/O failure as a refusal whose kind says which way it failed. */
    static Launch.Refused refused(IOException e) {
        String what = e instanceof FileSystemException f ? f.getFile() : null;
        String where = what == null ? "" : " " + Json.write(clip(what));
        if (e instanceof NoSuchFileException) {
            return new Launch.Refused(Launch.Refused.NOT_FOUND, "no such file or directory" + where);
        }
        if (e instanceof FileAlreadyExistsException) {
            return new Launch.Refused(EXISTS, "already exists:" + where);
        }
        if (e instanceof AccessDeniedException) {
            return new Launch.Refused(DENIED, "permission denied:" + where);
        }
        if (e instanceof NotDirectoryException) {
            return new Launch.Refused(INVALID, "not a directory:" + where);
        }
        if (e instanceof FileSystemException f && "Is a directory".equals(f.getReason())) {
            return new Launch.Refused(INVALID, "a directory, not a file:" + where); // EISDIR: opened as a file
        }
        if (e instanceof DirectoryNotEmptyException) {
            return new Launch.Refused(Launch.Refused.PRECONDITION, "directory not empty:" + where);
        }
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
        return new Launch.Refused(Launch.Refused.PRECONDITION, reason + where);
    }

    private static Map<String, Object> one(String key, Object value) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(key, value);
        return r;
    }

    static String clip(String s) {
        return s.substring(0, Math.min(s.length(), 300));
    }
}
