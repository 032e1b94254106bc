package dev.banger.agent;

import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import dev.banger.channel.copy.CopyRefusal;
import dev.banger.channel.copy.SourceTree;
import dev.banger.channel.copy.TarWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code copy_out}: the file or directory at {@code path} in the guest sent to the host. A status line first
 * (the source's name and whether it is a directory, or why it cannot be copied), then its archive
 * ({@link SourceTree}: links below the path copied as links, each file hashed as it is sent); a source that
 * fails half-way ends the archive with its reason, which the host reports. Streamed in constant memory.
 */
final class CopyOut {
    /** Frames are at most 64 KiB: fill one per write. */
    private static final int FRAME = 64 * 1024;

    private final Stream stream;
    private final Request request;

    CopyOut(Stream stream, Request request) {
        this.stream = stream;
        this.request = request;
    }

    void run() throws IOException {
        SourceTree tree;
        try {
            tree = SourceTree.of(Path.of(guestPath(request)));
        } catch (CopyRefusal e) {
            finish(stream, Service.error(e.getMessage()));
            return;
        }
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("name", tree.name());
        about.put("directory", tree.isDirectory());
        line(stream, Service.ok(about));
        OutputStream out = new BufferedOutputStream(stream.output(), FRAME);
        TarWriter archive = new TarWriter(out);
        try {
            tree.send(archive);
        } catch (CopyRefusal e) {
            archive.abort(e.getMessage()); // the source failed: the host hears why
        } catch (IOException e) {
            stream.close(StreamEnd.FAILED, "the host went away");
            return;
        }
        stream.close(0, "sent");
    }

    /** The request's guest path: absolute, without NUL (bangerd checked it; a bug must still not reach the disk). */
    static String guestPath(Request request) throws CopyRefusal {
        String path = request.string("path", "");
        if (!path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw new CopyRefusal("the guest path must be absolute, without NUL: '" + path + "'");
        }
        return path;
    }

    /** One JSON line to the host. */
    static void line(Stream stream, Map<String, Object> value) throws IOException {
        stream.output().write((Json.write(value) + "\n").getBytes(StandardCharsets.UTF_8));
        stream.output().flush();
    }

    /** A last JSON line, then the stream's end. */
    static void finish(Stream stream, Map<String, Object> value) throws IOException {
        line(stream, value);
        stream.close(0, "answered");
    }
}
