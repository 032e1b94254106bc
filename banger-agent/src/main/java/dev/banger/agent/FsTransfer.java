package dev.banger.agent;

import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One whole file moved between the host and the guest, raw, as E2B's envd {@code /files} download and upload
 * move it (no archive: that is {@code copy_in}/{@code copy_out}'s, which rename into place and keep modes).
 * {@code fs_read}: a status line with the file's {@code size}, then exactly that many bytes, then the stream's
 * normal end; a read that fails half-way ends the stream with {@link StreamEnd#FAILED} and the reason, so the host
 * tells a cut file from a whole one. {@code fs_write}: a status line once the file is open (its missing parents
 * made, created 0644 or truncated keeping its mode, as envd does), then the host's bytes until it half-closes,
 * then a last line with the written file's entry and byte count, or why the write failed. With {@code user}, the
 * path is resolved and opened with that user's rights ({@link AsUser}); the descriptor's access is then fixed, so
 * the copy runs on the stream's own thread. Constant memory: one 64 KiB buffer, the channel's window.
 */
final class FsTransfer {
    /** A frame's largest payload: one read, one frame. */
    static final int FRAME = 64 * 1024;
    private static final String NEW_FILE_MODE = "rw-r--r--";

    private final Users users;

    FsTransfer(Users users) {
        this.users = users;
    }

    /** {@code fs_read}: the file at {@code path}, whole. */
    void read(Stream stream, Request request) throws IOException {
        var opened = Service.orRefuse(stream, () -> asUser(request, p -> {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class); // a link is followed, as envd's read does
            if (a.isDirectory()) {
                throw new Launch.Refused(FsOps.INVALID, "a directory, not a file: " + Json.write(FsOps.clip(p.toString())));
            }
            if (!a.isRegularFile()) {
                throw new Launch.Refused(FsOps.INVALID, "not a regular file: " + Json.write(FsOps.clip(p.toString())));
            }
            return FileChannel.open(p, StandardOpenOption.READ);
        }));
        if (opened.isEmpty()) {
            return;
        }
        try (FileChannel file = opened.get()) {
            long size = file.size();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("size", size);
            Service.line(stream, Service.ok(result));
            send(stream, file, size);
        }
    }

    /** Sends exactly {@code size} bytes of {@code file}; the stream's end says whether they all came. */
    private static void send(Stream stream, FileChannel file, long size) {
        ByteBuffer buffer = ByteBuffer.allocate(FRAME);
        OutputStream out = stream.output();
        long sent = 0;
        while (sent < size) {
            buffer.clear().limit((int) Math.min(FRAME, size - sent));
            int n;
            try {
                n = file.read(buffer);
            } catch (IOException e) {
                stream.close(StreamEnd.FAILED, "reading the file failed after " + sent + " of " + size + " bytes: " + reason(e));
                return;
            }
            if (n < 0) {
                stream.close(StreamEnd.FAILED, "the file shrank while it was read: " + sent + " of " + size + " bytes");
                return;
            }
            try {
                out.write(buffer.array(), 0, n);
            } catch (IOException e) {
                stream.close(StreamEnd.FAILED, "the host went away");
                return;
            }
            sent += n;
        }
        stream.close(StreamEnd.OK, "sent"); // what grew after the size was taken is not sent: the host was told the size
    }

    /** {@code fs_write}: the host's bytes at {@code path}, replacing what was there. */
    void write(Stream stream, Request request) throws IOException {
        var opened = Service.orRefuse(stream, () -> asUser(request, p -> {
            Path parent = p.getParent();
            if (parent != null) {
                Files.createDirectories(parent); // the user's, made with their rights, as fs_mkdir makes them
            }
            return new Opened(p, FileChannel.open(p, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(NEW_FILE_MODE))));
        }));
        if (opened.isEmpty()) {
            return;
        }
        Path path = opened.get().path();
        long written;
        try (FileChannel file = opened.get().file()) {
            Service.line(stream, Service.ok(new LinkedHashMap<>()));
            written = receive(stream, file);
        } catch (HostGone e) {
            stream.close(StreamEnd.FAILED, "the host went away");
            return;
        } catch (Launch.Refused e) {
            Service.refuse(stream, Service.refusal(e));
            return;
        }
        var entry = Service.orRefuse(stream, () -> asUser(request, p -> FsOps.entry(path)));
        if (entry.isPresent()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("entry", entry.get());
            result.put("bytes", written);
            Service.line(stream, Service.ok(result));
            stream.close(StreamEnd.OK, "written");
        }
    }

    /** A write's file, open, and where it is. */
    private record Opened(Path path, FileChannel file) {
    }

    /** The host's end of a write: it closed the stream (abandoned the write) or the channel ended. */
    private static final class HostGone extends Exception {
        HostGone() {
            super(null, null, false, false);
        }
    }

    /** Copies the host's bytes to {@code file} until its EOF; how many. */
    private static long receive(Stream stream, FileChannel file) throws HostGone, Launch.Refused {
        byte[] buffer = new byte[FRAME];
        InputStream in = stream.input();
        long written = 0;
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                throw new HostGone();
            }
            if (n < 0) {
                if (stream.end().isPresent()) {
                    throw new HostGone(); // closed, not half-closed: the host abandoned the write
                }
                return written;
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
                while (b.hasRemaining()) {
                    file.write(b);
                }
            } catch (IOException e) {
                throw writeFailed(e, written);
            }
            written += n;
        }
    }

    /** A failed write's refusal: a full disk said as such (kind {@code exhausted}), anything else as the kernel said it. */
    static Launch.Refused writeFailed(IOException e, long written) {
        String why = reason(e);
        if (why.contains("No space left on device") || why.contains("Disk quota exceeded")) {
            return new Launch.Refused(Launch.Refused.EXHAUSTED, "the guest's disk is full (" + why + ") after " + written + " bytes");
        }
        return new Launch.Refused(Launch.Refused.PRECONDITION, "writing the file failed after " + written + " bytes: " + why);
    }

    private static String reason(IOException e) {
        String why = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
        return FsOps.clip(why);
    }

    /** Work on the request's path that may fail on the file system. */
    private interface PathWork<T> {
        T apply(Path path) throws IOException, Launch.Refused;
    }

    /** {@code work} on the request's {@code path} with its {@code user}'s rights; I/O failures as FsOps refuses them. */
    private <T> T asUser(Request request, PathWork<T> work) throws Launch.Refused {
        Users.Account account = FsOps.account(request, users);
        Path path = FsOps.path(request, "path");
        return FsOps.call(account, () -> work.apply(path));
    }
}
