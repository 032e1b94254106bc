package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running VM's files, through its guest agent's {@code fs_*} ops (banger-agent's FsOps and FsWatch): stat,
 * list, mkdir, move, remove and watch, each as a guest user when {@code user} is given (null: root). The
 * answers are untrusted and read field by field ({@link #entry}, {@link #listing}, {@link Watch#next}).
 * Refusals come back as the errors their kinds map to: NOT_FOUND, NAME_TAKEN (exists), PERMISSION_DENIED,
 * INVALID_ARGUMENT (not a directory), FAILED_PRECONDITION. The VM must be running and its guest ready: the
 * caller's to check (the E2B translation does, per sandbox).
 */
public final class GuestFiles {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final int MAX_PATH = 4096;
    static final int MAX_NAME = 1024;
    /** More than the agent lists (2000): a longer list is not its answer. */
    static final int MAX_ENTRIES = 4096;
    static final int MAX_DEPTH = 64;

    public enum Type { FILE, DIR, SYMLINK, OTHER }

    /** One file's description, as the agent reads it (a link itself, never followed). */
    public record Entry(String name, String path, Type type, long size, int mode, String permissions, String owner, String group,
            Instant modified, String symlinkTarget) {
    }

    /** A directory's entries, {@code truncated} when the agent cut the listing at its bound. */
    public record Listing(List<Entry> entries, boolean truncated) {
    }

    /** One change under a watched directory: {@code name} relative to it ("" for the directory itself). */
    public record Event(String type, String name, boolean dir) {
    }

    private final AgentSessions sessions;

    public GuestFiles(AgentSessions sessions) {
        this.sessions = sessions;
    }

    public Entry stat(VmRecord vm, String user, String path) {
        return entry(ask(vm, user, "fs_stat", "path", path).path("entry"), vm.name());
    }

    /** {@code path}'s entries, {@code depth} levels down (1: its own). */
    public Listing list(VmRecord vm, String user, String path, int depth) {
        if (depth < 1 || depth > MAX_DEPTH) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "a listing's depth is 1 to " + MAX_DEPTH);
        }
        Map<String, Object> request = request(user, "fs_list", "path", path);
        request.put("depth", depth);
        return listing(sessions.request(vm, request, TIMEOUT), vm.name());
    }

    /** Makes {@code path} and its missing parents; NAME_TAKEN when it exists. */
    public Entry mkdir(VmRecord vm, String user, String path) {
        return entry(ask(vm, user, "fs_mkdir", "path", path).path("entry"), vm.name());
    }

    /** Renames {@code source} to {@code destination} (a file there is replaced); the moved entry. */
    public Entry move(VmRecord vm, String user, String source, String destination) {
        Map<String, Object> request = request(user, "fs_move", "source", source);
        request.put("destination", checkPath(destination));
        return entry(sessions.request(vm, request, TIMEOUT).path("entry"), vm.name());
    }

    /** Removes a file, a link or a whole tree. */
    public void remove(VmRecord vm, String user, String path) {
        ask(vm, user, "fs_remove", "path", path);
    }

    /** Starts watching {@code path}; the caller reads events and closes the watch. */
    public Watch watch(VmRecord vm, String user, String path, boolean recursive) {
        Map<String, Object> request = request(user, "fs_watch", "path", path);
        request.put("recursive", recursive);
        Stream stream = sessions.open(vm, request, TIMEOUT);
        GuestAnswers.firstLine(stream, vm.name(), TIMEOUT);
        return new Watch(stream, vm.name());
    }

    /** A directory's changes as the agent reports them, until closed. */
    public static final class Watch implements AutoCloseable {
        private final Stream stream;
        private final String vm;

        Watch(Stream stream, String vm) {
            this.stream = stream;
            this.vm = vm;
        }

        /**
         * The next event, waiting as long as it takes; null once the watch ended (the directory removed, the
         * agent's bound reached, the VM gone). An {@code overflow} event means some were lost.
         */
        public Event next() throws IOException {
            while (true) {
                String line = Lines.readBounded(stream.input(), GuestAnswers.MAX_LINE);
                if (line == null) {
                    return null;
                }
                Event e = event(line, vm);
                if (e != null) {
                    return e;
                }
            }
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    /** One watch line as an event; null for the last line that says why the watch ended. */
    static Event event(String line, String vm) {
        JsonNode n;
        try {
            n = dev.banger.api.Json.MAPPER.readTree(line);
        } catch (IOException e) {
            throw GuestAnswers.notItsAnswer(vm, "a watch event as JSON");
        }
        if (n == null || !n.isObject()) {
            throw GuestAnswers.notItsAnswer(vm, "a watch event as a JSON object");
        }
        if (n.has("end")) {
            return null;
        }
        String type = GuestAnswers.text(n.path("event"), 16, vm, "event");
        if (type.equals("overflow")) {
            return new Event(type, "", false);
        }
        if (!List.of("create", "write", "remove", "rename", "chmod").contains(type)) {
            throw GuestAnswers.notItsAnswer(vm, "an event of create, write, remove, rename, chmod or overflow");
        }
        return new Event(type, GuestAnswers.text(n.path("name"), MAX_PATH, vm, "name"), GuestAnswers.bool(n.path("dir"), vm, "dir"));
    }

    static Listing listing(JsonNode result, String vm) {
        JsonNode list = result.path("entries");
        if (!list.isArray() || list.size() > MAX_ENTRIES) {
            throw GuestAnswers.notItsAnswer(vm, "a list of at most " + MAX_ENTRIES + " entries");
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode n : list) {
            entries.add(entry(n, vm));
        }
        return new Listing(List.copyOf(entries), GuestAnswers.bool(result.path("truncated"), vm, "truncated"));
    }

    static Entry entry(JsonNode n, String vm) {
        if (!n.isObject()) {
            throw GuestAnswers.notItsAnswer(vm, "an entry as an object");
        }
        Type type = switch (GuestAnswers.text(n.path("type"), 8, vm, "type")) {
            case "file" -> Type.FILE;
            case "dir" -> Type.DIR;
            case "symlink" -> Type.SYMLINK;
            case "other" -> Type.OTHER;
            default -> throw GuestAnswers.notItsAnswer(vm, "a type of file, dir, symlink or other");
        };
        String path = GuestAnswers.text(n.path("path"), MAX_PATH, vm, "path");
        if (!path.startsWith("/")) {
            throw GuestAnswers.notItsAnswer(vm, "an absolute path");
        }
        String target = GuestAnswers.optionalText(n.path("symlink_target"), MAX_PATH, vm, "symlink_target");
        if (target != null && type != Type.SYMLINK) {
            throw GuestAnswers.notItsAnswer(vm, "a symlink target only for a symlink");
        }
        return new Entry(GuestAnswers.text(n.path("name"), MAX_NAME, vm, "name"), path, type,
                GuestAnswers.number(n.path("size"), 0, Long.MAX_VALUE, vm, "size"),
                (int) GuestAnswers.number(n.path("mode"), 0, 07777, vm, "mode"),
                GuestAnswers.text(n.path("permissions"), 16, vm, "permissions"),
                GuestAnswers.text(n.path("owner"), 256, vm, "owner"), GuestAnswers.text(n.path("group"), 256, vm, "group"),
                Instant.ofEpochMilli(GuestAnswers.number(n.path("mtime_ms"), Long.MIN_VALUE / 2, Long.MAX_VALUE / 2, vm, "mtime_ms")),
                target);
    }

    private JsonNode ask(VmRecord vm, String user, String op, String key, String path) {
        return sessions.request(vm, request(user, op, key, path), TIMEOUT);
    }

    private static Map<String, Object> request(String user, String op, String key, String path) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("op", op);
        r.put(key, checkPath(path));
        if (user != null) {
            r.put("user", user);
        }
        return r;
    }

    /** A path the agent would take: absolute, bounded, no NUL (refused here, with the caller's words). */
    static String checkPath(String path) {
        if (path == null || path.isEmpty() || !path.startsWith("/") || path.length() > MAX_PATH || path.indexOf('\0') >= 0) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "a guest path is absolute, at most " + MAX_PATH + " characters, without NUL");
        }
        return path;
    }
}
