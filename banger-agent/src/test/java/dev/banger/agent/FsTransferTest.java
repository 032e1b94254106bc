package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** fs_read and fs_write over a real channel, on this machine's files. */
@Timeout(60)
class FsTransferTest extends FilesFixture {
    private Stream open(String op, Path path, String user) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", op);
        request.put("path", path.toString());
        if (user != null) {
            request.put("user", user);
        }
        return host.open(JSON.writeValueAsBytes(request));
    }

    private static JsonNode line(Stream s) throws IOException {
        String line = Lines.readBounded(s.input(), 65536);
        assertThat(line).as("an answer line").isNotNull();
        return JSON.readTree(line);
    }

    /** A whole read: the answer, the bytes, how the stream ended. */
    private record Read(JsonNode answer, byte[] bytes, StreamEnd end) {
    }

    private Read read(Path path, String user) throws Exception {
        try (Stream s = open("fs_read", path, user)) {
            JsonNode answer = line(s);
            byte[] bytes = s.input().readAllBytes();
            return new Read(answer, bytes, s.awaitEnd(Duration.ofSeconds(10)).orElseThrow());
        }
    }

    /** A whole write of {@code content}: the last answer (or the refusal). */
    private JsonNode write(Path path, String user, byte[] content) throws IOException {
        try (Stream s = open("fs_write", path, user)) {
            JsonNode first = line(s);
            if (!first.path("ok").asBoolean()) {
                assertThat(s.input().read()).as("a refusal ends the stream").isEqualTo(-1);
                return first;
            }
            assertThat(first.path("result").size()).isZero();
            try {
                s.output().write(content);
                s.closeOutput();
            } catch (IOException refusedHalfWay) {
                // the last line says why
            }
            return line(s);
        }
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @Test
    void aReadSendsTheWholeFileThenEndsNormally() throws Exception {
        byte[] content = random(3 * FsTransfer.FRAME + 123); // more than a frame, more than a window's worth of reads
        Path f = Files.write(files.resolve("data.bin"), content);
        Read r = read(f, null);
        assertThat(ok(r.answer()).path("size").asLong()).isEqualTo(content.length);
        assertThat(r.bytes()).isEqualTo(content);
        assertThat(r.end().status()).isEqualTo(StreamEnd.OK);
        Read empty = read(Files.createFile(files.resolve("empty")), null);
        assertThat(ok(empty.answer()).path("size").asLong()).isZero();
        assertThat(empty.bytes()).isEmpty();
        assertThat(empty.end().status()).isEqualTo(StreamEnd.OK);
    }

    @Test
    void aReadIsRefusedForWhatIsNotAFileItCanRead() throws Exception {
        refused(read(files.resolve("none"), null).answer(), "not_found", "no such file");
        Read ofDir = read(files, null);
        refused(ofDir.answer(), "invalid", "a directory");
        assertThat(ofDir.bytes()).isEmpty();
        refused(read(Path.of("relative"), null).answer(), "", "absolute path");
    }

    @Test
    void aFileThatShrinksWhileReadEndsTheStreamFailed() throws Exception {
        Path f = Files.write(files.resolve("big"), random(8 << 20));
        try (Stream s = open("fs_read", f, null)) {
            assertThat(ok(line(s)).path("size").asLong()).isEqualTo(8 << 20);
            InputStream in = s.input();
            in.readNBytes(FsTransfer.FRAME); // the agent is now held by the channel's window, far from the end
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(1 << 20);
            }
            long rest = in.readAllBytes().length;
            assertThat(FsTransfer.FRAME + rest).isLessThan(8 << 20);
            StreamEnd end = s.awaitEnd(Duration.ofSeconds(10)).orElseThrow();
            assertThat(end.status()).isEqualTo(StreamEnd.FAILED);
            assertThat(end.reason()).contains("shrank");
        }
    }

    @Test
    void aWriteMakesTheFileAndItsParentsAndSaysWhatItWrote() throws Exception {
        byte[] content = random(5 * FsTransfer.FRAME + 7);
        Path f = files.resolve("a/b/new.bin");
        JsonNode result = ok(write(f, null, content));
        assertThat(f).hasBinaryContent(content);
        assertThat(result.path("bytes").asLong()).isEqualTo(content.length);
        JsonNode entry = result.path("entry");
        assertThat(entry.path("path").asText()).isEqualTo(f.toString());
        assertThat(entry.path("type").asText()).isEqualTo("file");
        assertThat(entry.path("size").asLong()).isEqualTo(content.length);
        assertThat(entry.path("mode").asInt()).isEqualTo(0644);
    }

    @Test
    void aWriteReplacesWhatWasThereKeepingItsMode() throws Exception {
        Path f = Files.writeString(files.resolve("old"), "a longer old content");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        JsonNode result = ok(write(f, null, "new".getBytes()));
        assertThat(f).hasContent("new");
        assertThat(result.at("/entry/mode").asInt()).isEqualTo(0700);
        assertThat(ok(write(f, null, new byte[0])).path("bytes").asLong()).isZero();
        assertThat(f).isEmptyFile();
    }

    @Test
    void aWriteIsRefusedOnADirectoryAndUnderAFile() throws Exception {
        refused(write(files, null, "x".getBytes()), "invalid", "a directory");
        assertThat(files).isDirectory();
        Path f = Files.writeString(files.resolve("f"), "x");
        refused(write(f.resolve("below"), null, "x".getBytes()), "exists", "already exists");
    }

    @Test
    void aFullDiskIsSaidAsSuch() throws Exception {
        assumeTrue(Files.isWritable(Path.of("/dev/full")), "needs /dev/full");
        refused(write(Path.of("/dev/full"), null, random(2 * FsTransfer.FRAME)), "exhausted", "the guest's disk is full");
        assertThat(FsTransfer.writeFailed(new IOException("Disk quota exceeded"), 5).getMessage()).contains("disk is full");
        assertThat(FsTransfer.writeFailed(new IOException("Input/output error"), 5).getMessage()).contains("after 5 bytes: Input/output error");
    }

    @Test
    void aHostThatAbandonsAWriteStopsIt() throws Exception {
        Path f = files.resolve("abandoned");
        try (Stream s = open("fs_write", f, null)) {
            ok(line(s));
            s.output().write(random(1000));
            s.output().flush();
            s.close(StreamEnd.FAILED, "the client went away");
        }
        assertThat(f).exists();
        ok(write(files.resolve("after"), null, "still serving".getBytes())); // the agent carries on
        assertThat(files.resolve("after")).hasContent("still serving");
    }

    @Test
    void aUsersTransfersHaveThatUsersRights() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root, to act as another user");
        assumeTrue(new Users(Path.of("/etc/passwd")).find("nobody").isPresent(), "needs the user nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(files, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path secret = Files.writeString(files.resolve("secret"), "root's");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        refused(read(secret, "nobody").answer(), "denied", "permission denied");
        refused(write(secret, "nobody", "x".getBytes()), "denied", "permission denied");
        assertThat(secret).hasContent("root's");
        refused(write(files.resolve("new/f"), "nobody", "x".getBytes()), "denied", "permission denied");
        assertThat(files.resolve("new")).doesNotExist();

        Path open = Files.createDirectory(files.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path mine = open.resolve("d/e/mine");
        JsonNode written = ok(write(mine, "nobody", "theirs".getBytes()));
        assertThat(written.at("/entry/owner").asText()).isEqualTo("nobody");
        assertThat(Files.getOwner(open.resolve("d")).getName()).isEqualTo("nobody");
        assertThat(Files.getOwner(open.resolve("d/e")).getName()).isEqualTo("nobody");
        Read back = read(mine, "nobody");
        assertThat(new String(back.bytes())).isEqualTo("theirs");
        refused(read(mine, "no-such-user").answer(), "not_found", "no user");
    }

    @Test
    void aReadOfAFileLargerThanAnyBufferStreams() throws Exception {
        byte[] content = random(24 << 20);
        Path f = Files.write(files.resolve("large"), content);
        JsonNode written = ok(write(files.resolve("copy"), null, content));
        assertThat(written.path("bytes").asLong()).isEqualTo(content.length);
        try (Stream s = open("fs_read", f, null)) {
            assertThat(ok(line(s)).path("size").asLong()).isEqualTo(content.length);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.input().transferTo(got);
            assertThat(got.toByteArray()).isEqualTo(content);
            assertThat(s.maxBuffered()).isLessThanOrEqualTo(256 * 1024);
        }
        assertThat(files.resolve("copy")).hasBinaryContent(content);
    }
}
