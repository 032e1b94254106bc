package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import dev.banger.core.Text;
import dev.banger.core.VmSpecRules;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A running VM's files, through its guest agent's {@code fs_*} ops (banger-agent's FsOps, FsTransfer and FsWatch):
 * stat, list, mkdir, move, remove, whole-file read and write, and watch, each as a guest user when {@code user} is given (null: root). The
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
    /** No file in a guest is larger than the largest disk banger makes: a larger size is not the agent's answer. */
    static final long MAX_FILE = VmSpecRules.MAX_DISK_MIB << 20;
    /** The agent sends a file's bytes in frames of at most 64 KiB: one read of the caller's content per frame. */
    static final int TRANSFER_BUFFER = 64 * 1024;
    /** How long the guest has to end a read's stream once the announced bytes came (it ends it with the last). */
    private static final Duration END_WAIT = Duration.ofSeconds(10);

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

    /** Opens {@code path} for reading as {@code user} (null: root): a regular file (a link followed); a directory is INVALID_ARGUMENT. */
    public Reading read(VmRecord vm, String user, String path) {
        return reading(sessions.open(vm, request(user, "fs_read", "path", path), TIMEOUT), vm.name(), TIMEOUT);
    }

    /**
     * Writes {@code content} (read to its end) to {@code path} as {@code user} (null: root), its missing parents
     * made, what was there replaced (a new file is 0644, an existing one keeps its mode): the entry written.
     * A full guest disk is RESOURCE_EXHAUSTED; {@code content} failing is CANCELLED (the guest's file is then cut,
     * as an interrupted upload leaves it in envd).
     */
    public Entry write(VmRecord vm, String user, String path, InputStream content) {
        return written(sessions.open(vm, request(user, "fs_write", "path", path), TIMEOUT), content, vm.name(), TIMEOUT);
    }

    /** The answer that starts an {@code fs_read} stream: the file's size, checked; the stream closed if it is not one. */
    static Reading reading(Stream stream, String vm, Duration timeout) {
        JsonNode r = GuestAnswers.firstLine(stream, vm, timeout);
        try {
            return new Reading(stream, GuestAnswers.number(r.path("size"), 0, MAX_FILE, vm, "size"), vm);
        } catch (BangerException e) {
            stream.close(StreamEnd.FAILED, "not an answer");
            throw e;
        }
    }

    /**
     * An {@code fs_write} stream: its answer (the file open, or the refusal), then {@code content} sent and the
     * output half-closed, then the last answer (checked: the bytes the guest wrote are those sent). Waiting for that
     * answer takes {@code timeout} at most whatever the file's size: the channel's window bounds what is still in
     * flight when the host's EOF goes out.
     */
    static Entry written(Stream stream, InputStream content, String vm, Duration timeout) {
        try (stream) {
            GuestAnswers.firstLine(stream, vm, timeout);
            long sent = 0;
            byte[] buffer = new byte[TRANSFER_BUFFER];
            OutputStream out = stream.output();
            try {
                int n;
                while ((n = readSource(content, buffer, stream, vm)) >= 0) {
                    out.write(buffer, 0, n);
                    sent += n;
                }
                stream.closeOutput();
            } catch (IOException stopped) {
                // the agent stopped taking bytes: its last line says why (a full disk), or the channel ended
            }
            JsonNode r = GuestAnswers.firstLine(stream, vm, timeout);
            long bytes = GuestAnswers.number(r.path("bytes"), 0, MAX_FILE, vm, "bytes");
            if (bytes != sent) {
                throw GuestAnswers.notItsAnswer(vm, "the " + sent + " bytes sent written, not " + bytes);
            }
            return entry(r.path("entry"), vm);
        }
    }

    /** A read of the caller's content; its failure stops the write (CANCELLED), the guest told. */
    private static int readSource(InputStream content, byte[] buffer, Stream stream, String vm) {
        try {
            return content.read(buffer);
        } catch (IOException e) {
            stream.close(StreamEnd.FAILED, "the upload's source failed");
            throw new BangerException(ErrorCode.CANCELLED, "writing a file to VM '" + vm + "' stopped: its content could not be read ("
                    + Text.printable(String.valueOf(e.getMessage()), 200) + ")");
        }
    }

    /** A guest file being read: its size when opened and its bytes; close it (closing early abandons the read). */
    public static final class Reading implements AutoCloseable {
        private final Stream stream;
        private final long size;
        private final Content content;

        Reading(Stream stream, long size, String vm) {
            this.stream = stream;
            this.size = size;
            this.content = new Content(stream, size, vm);
        }

        public long size() {
            return size;
        }

        /**
         * The bytes: exactly {@link #size()} of them, then the end of the stream. A read throws IOException when the
         * guest ends the stream abnormally or early (the file was cut: it shrank, or reading it failed), sends more than
         * it announced (the guest is not trusted), or does not end the stream once all came. Closing the reading from
         * another thread ends a blocked read.
         */
        public InputStream content() {
            return content;
        }

        @Override
        public void close() {
            if (content.whole) {
                stream.close();
            } else {
                stream.close(StreamEnd.FAILED, "the host abandoned the read");
            }
        }
    }

    /** A file's bytes from an {@code fs_read} stream, at most the size announced, its end checked. */
    private static final class Content extends InputStream {
        private final Stream stream;
        private final long size;
        private final String vm;
        private long got;
        private volatile boolean whole;

        Content(Stream stream, long size, String vm) {
            this.stream = stream;
            this.size = size;
            this.vm = vm;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (got == size) {
                ended();
                return -1;
            }
            int n = stream.input().read(b, off, (int) Math.min(len, size - got));
            if (n < 0) {
                StreamEnd end = awaitEnd(Duration.ofSeconds(1));
                throw new IOException("the file from VM '" + vm + "' was cut after " + got + " of " + size + " bytes"
                        + (end == null || end.reason().isEmpty() ? "" : ": " + Text.printable(end.reason(), 300)));
            }
            got += n;
            return n;
        }

        /** All the bytes came: the guest must now end the stream normally, with nothing more. */
        private void ended() throws IOException {
            if (whole) {
                return;
            }
            StreamEnd end = stream.input().available() > 0 ? null : awaitEnd(END_WAIT); // more already here: no need to wait
            if (end == null || stream.input().available() > 0) {
                stream.close(StreamEnd.FAILED, "more than the size announced");
                throw new IOException("the guest agent of VM '" + vm + "' sent more than the " + size
                        + " bytes it announced, or did not end the file there: refused, the guest is not trusted");
            }
            if (end.origin() != StreamEnd.Origin.PEER || end.status() != StreamEnd.OK) {
                throw new IOException("the file from VM '" + vm + "' did not end normally after its " + size + " bytes"
                        + (end.reason().isEmpty() ? "" : ": " + Text.printable(end.reason(), 300)));
            }
            whole = true;
        }

        /** How the stream ended, waiting {@code wait} at most; null if it has not. */
        private StreamEnd awaitEnd(Duration wait) throws IOException {
            try {
                return stream.awaitEnd(wait).orElse(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading a file from VM '" + vm + "'");
            }
        }
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
