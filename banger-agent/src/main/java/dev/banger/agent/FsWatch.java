package dev.banger.agent;

import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code fs_watch}: a directory's changes as JSON lines, until the host closes the stream. The first line is
 * the usual answer ({@code {"ok":true,"result":{"path":...}}}, or a refusal with its kind, and the stream
 * ends); then one line per event, {@code {"event":"create"|"write"|"remove"|"rename"|"chmod","name":N,
 * "dir":B}}, N relative to the watched directory, named as envd's fsnotify names them (a file moved in is a
 * create, one moved away a rename). {@code {"event":"overflow"}} when the kernel's queue overflowed (events
 * were lost), and a last {@code {"end":"..."}} line when the watch stopped on its own (the directory was
 * removed, or a recursive watch outgrew {@link #MAX_WATCHES} directories).
 *
 * <p>inotify through {@link Libc}: {@code inotify_init1}, {@code inotify_add_watch}, {@code poll} and
 * {@code read} all fit the one call shape, and a watch reports every write as it happens, which a polling
 * scan (mtimes compared every so often) would miss or merge. A recursive watch adds a watch for every
 * directory below, and for each one created later. The watch runs on a platform thread (its {@code poll}
 * is native, and would pin a virtual thread's carrier), with the request's user's file-system rights
 * ({@link AsUser}): a directory that user may not read is refused.
 */
final class FsWatch {
    static final int MAX_WATCHES = 4096;
    private static final int POLL_MILLIS = 500;
    private static final int BUFFER = 16 * 1024;
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private static final int IN_MODIFY = 0x2;
    private static final int IN_ATTRIB = 0x4;
    private static final int IN_MOVED_FROM = 0x40;
    private static final int IN_MOVED_TO = 0x80;
    private static final int IN_CREATE = 0x100;
    private static final int IN_DELETE = 0x200;
    private static final int IN_DELETE_SELF = 0x400;
    private static final int IN_MOVE_SELF = 0x800;
    private static final int IN_Q_OVERFLOW = 0x4000;
    private static final int IN_IGNORED = 0x8000;
    private static final int IN_ONLYDIR = 0x01000000;
    private static final int IN_ISDIR = 0x40000000;
    private static final int MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF
            | IN_MOVE_SELF | IN_ONLYDIR;
    private static final short POLLIN = 0x1;

    private static final Libc.Fn INIT = Libc.fn("inotify_init1");
    private static final Libc.Fn ADD = Libc.fn("inotify_add_watch");
    private static final Libc.Fn POLL = Libc.fn("poll");

    private final Stream stream;
    private final Path root;
    private final boolean recursive;
    /** Watch descriptor to the directory it watches, relative to the root ("" for the root). */
    private final Map<Integer, String> watched = new HashMap<>();
    private volatile boolean hostGone;
    private int fd = -1;

    private FsWatch(Stream stream, Path root, boolean recursive) {
        this.stream = stream;
        this.root = root;
        this.recursive = recursive;
    }

    /** Serves the {@code fs_watch} request over {@code stream} until the host closes it. */
    static void serve(Stream stream, Request request, Users users) throws IOException {
        // The user as a one-element list: no user (root) is null, which an Optional could not hold.
        Optional<List<Users.Account>> account = Service.orRefuse(stream, () -> Collections.singletonList(FsOps.account(request, users)));
        if (account.isEmpty()) {
            return;
        }
        Optional<Path> asked = Service.orRefuse(stream, () -> FsOps.path(request, "path"));
        if (asked.isEmpty()) {
            return;
        }
        Path root = asked.get();
        FsWatch watch = new FsWatch(stream, root, request.bool("recursive"));
        Thread.ofVirtual().start(watch::awaitHostClose);
        try {
            AsUser.call(account.get().getFirst(), () -> {
                watch.run();
                return null;
            });
        } catch (IOException e) {
            // the host went away
        } catch (Exception e) {
            Service.line(stream, Service.error("the watch failed: " + e.getMessage()));
        }
        stream.close(0, "watch over");
    }

    /** The host closing its side (or the channel ending) ends the watch. */
    private void awaitHostClose() {
        InputStream in = stream.input();
        try {
            while (in.read() >= 0) {
                // nothing is expected from the host
            }
        } catch (IOException e) {
            // the channel ended
        }
        hostGone = true;
    }

    private void run() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            fd = (int) INIT.call(state, IN_NONBLOCK | IN_CLOEXEC);
            Libc.check(fd, state, "inotify_init1");
            try {
                try {
                    FsOps.entry(root);
                    if (!Files.isDirectory(root)) {
                        throw new java.nio.file.NotDirectoryException(root.toString());
                    }
                    add(arena, state, root, "");
                    if (recursive) {
                        addBelow(arena, state, root, "");
                    }
                } catch (IOException e) {
                    Service.line(stream, Service.refusal(FsOps.refused(e)));
                    return;
                } catch (Launch.Refused e) {
                    Service.line(stream, Service.refusal(e));
                    return;
                }
                Map<String, Object> started = new LinkedHashMap<>();
                started.put("path", root.toString());
                started.put("recursive", recursive);
                Service.line(stream, Service.ok(started));
                events(arena, state);
            } finally {
                Libc.CLOSE.call(state, fd);
            }
        }
    }

    private void add(Arena arena, MemorySegment state, Path dir, String relative) throws IOException, Launch.Refused {
        if (watched.size() >= MAX_WATCHES) {
            throw new Launch.Refused(Launch.Refused.EXHAUSTED, "more than " + MAX_WATCHES + " directories to watch");
        }
        MemorySegment path = arena.allocateFrom(dir.toString());
        int wd = (int) ADD.call(state, fd, path.address(), MASK);
        if (wd < 0) {
            int errno = Libc.errno(state);
            if (errno == 13) {
                throw new java.nio.file.AccessDeniedException(dir.toString());
            }
            if (errno == Spawn.ENOENT) {
                throw new java.nio.file.NoSuchFileException(dir.toString());
            }
            throw new IOException("inotify_add_watch " + dir + " failed: errno " + errno);
        }
        watched.put(wd, relative);
    }

    private void addBelow(Arena arena, MemorySegment state, Path dir, String relative) throws IOException, Launch.Refused {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path c : s) {
                if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                    String rel = join(relative, c.getFileName().toString());
                    add(arena, state, c, rel);
                    addBelow(arena, state, c, rel);
                }
            }
        } catch (java.nio.file.AccessDeniedException | java.nio.file.NoSuchFileException e) {
            // a subdirectory the user may not read, or one gone already: not watched
        }
    }

    private void events(Arena arena, MemorySegment state) throws IOException {
        MemorySegment pfd = arena.allocate(8);
        MemorySegment buf = arena.allocate(BUFFER, 8);
        while (!hostGone) {
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            int ready = (int) POLL.call(state, pfd.address(), 1, POLL_MILLIS);
            if (ready <= 0) {
                continue;
            }
            long n = Libc.READ.call(state, fd, buf.address(), BUFFER);
            if (n <= 0) {
                continue; // EAGAIN or EINTR
            }
            if (!dispatch(arena, state, buf, (int) n)) {
                return;
            }
        }
    }

    /** Sends the events of one read ({@code struct inotify_event}s); false when the watch is over. */
    private boolean dispatch(Arena arena, MemorySegment state, MemorySegment buf, int n) throws IOException {
        int at = 0;
        while (at + 16 <= n) {
            int wd = buf.get(ValueLayout.JAVA_INT, at);
            int mask = buf.get(ValueLayout.JAVA_INT, at + 4);
            int len = buf.get(ValueLayout.JAVA_INT, at + 12);
            String name = len > 0 ? buf.asSlice(at + 16, Math.min(len, n - at - 16)).getString(0) : "";
            at += 16 + len;
            if ((mask & IN_Q_OVERFLOW) != 0) {
                Service.line(stream, Map.of("event", "overflow"));
                continue;
            }
            String dir = watched.get(wd);
            if (dir == null) {
                continue;
            }
            if ((mask & IN_IGNORED) != 0) {
                watched.remove(wd);
                if (dir.isEmpty()) {
                    Service.line(stream, Map.of("end", "the watched directory is gone"));
                    return false;
                }
                continue;
            }
            boolean isDir = (mask & IN_ISDIR) != 0;
            String rel = join(dir, name);
            if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
                if (!dir.isEmpty()) {
                    continue; // a subdirectory: its parent's watch reported it
                }
                event((mask & IN_DELETE_SELF) != 0 ? "remove" : "rename", "", true);
                continue;
            }
            if ((mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
                // A new directory is watched before its event goes out, so that what a client does in it once told
                // is seen; what was made in it before the watch was added is not (inotify's race, as fsnotify's).
                if (isDir && recursive) {
                    try {
                        Path p = root.resolve(rel);
                        add(arena, state, p, rel);
                        addBelow(arena, state, p, rel);
                    } catch (Launch.Refused e) {
                        Service.line(stream, Map.of("end", e.getMessage()));
                        return false;
                    } catch (IOException e) {
                        // gone already, or not the user's to read
                    }
                }
                event("create", rel, isDir);
            }
            if ((mask & IN_MODIFY) != 0) {
                event("write", rel, isDir);
            }
            if ((mask & IN_DELETE) != 0) {
                event("remove", rel, isDir);
            }
            if ((mask & IN_MOVED_FROM) != 0) {
                event("rename", rel, isDir);
            }
            if ((mask & IN_ATTRIB) != 0) {
                event("chmod", rel, isDir);
            }
        }
        return true;
    }

    private void event(String type, String name, boolean dir) throws IOException {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", type);
        e.put("name", name);
        e.put("dir", dir);
        Service.line(stream, e);
    }

    private static String join(String dir, String name) {
        return dir.isEmpty() ? name : name.isEmpty() ? dir : dir + "/" + name;
    }
}
