package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The file-system ops and the watch over a real channel, on this machine's files. */
@Timeout(60)
class FsOpsTest extends FilesFixture {
    private JsonNode ask(Object... keyValues) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            request.put((String) keyValues[i], keyValues[i + 1]);
        }
        try (Stream s = host.open(JSON.writeValueAsBytes(request))) {
            return JSON.readTree(s.input().readAllBytes());
        }
    }

    @Test
    void statDescribesFilesDirectoriesAndLinks() throws Exception {
        Path f = Files.writeString(files.resolve("a.txt"), "hello");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        Files.createSymbolicLink(files.resolve("ln"), f);
        JsonNode e = ok(ask("op", "fs_stat", "path", f.toString())).path("entry");
        assertThat(e.path("name").asText()).isEqualTo("a.txt");
        assertThat(e.path("path").asText()).isEqualTo(f.toString());
        assertThat(e.path("type").asText()).isEqualTo("file");
        assertThat(e.path("size").asLong()).isEqualTo(5);
        assertThat(e.path("mode").asInt()).isEqualTo(0640);
        assertThat(e.path("permissions").asText()).isEqualTo("-rw-r-----");
        assertThat(e.path("owner").asText()).isEqualTo(System.getProperty("user.name"));
        assertThat(e.path("mtime_ms").asLong()).isPositive();
        assertThat(e.has("symlink_target")).isFalse();
        JsonNode l = ok(ask("op", "fs_stat", "path", files.resolve("ln").toString())).path("entry");
        assertThat(l.path("type").asText()).isEqualTo("symlink");
        assertThat(l.path("symlink_target").asText()).isEqualTo(f.toString());
        assertThat(ok(ask("op", "fs_stat", "path", files.toString())).at("/entry/type").asText()).isEqualTo("dir");
        refused(ask("op", "fs_stat", "path", files.resolve("nope").toString()), "not_found", "no such file");
        assertThat(ask("op", "fs_stat", "path", "relative").path("error").asText()).contains("absolute path");
    }

    @Test
    void listGoesAsDeepAsAskedAndSaysWhenCut() throws Exception {
        Files.createDirectories(files.resolve("d/e/f"));
        Files.writeString(files.resolve("d/e/f/deep"), "x");
        Files.writeString(files.resolve("top"), "x");
        JsonNode one = ok(ask("op", "fs_list", "path", files.toString()));
        assertThat(one.path("entries")).extracting(n -> n.path("name").asText()).containsExactly("d", "top");
        assertThat(one.path("truncated").asBoolean()).isFalse();
        JsonNode three = ok(ask("op", "fs_list", "path", files.toString(), "depth", 3));
        assertThat(three.path("entries")).extracting(n -> n.path("path").asText()).containsExactly(files + "/d", files + "/d/e",
                files + "/d/e/f", files + "/top");
        for (int i = 0; i < FsOps.MAX_ENTRIES + 5; i++) {
            Files.createFile(files.resolve("d/n" + i));
        }
        JsonNode cut = ok(ask("op", "fs_list", "path", files.resolve("d").toString()));
        assertThat(cut.path("entries").size()).isEqualTo(FsOps.MAX_ENTRIES);
        assertThat(cut.path("truncated").asBoolean()).isTrue();
        refused(ask("op", "fs_list", "path", files.resolve("top").toString()), "invalid", "not a directory");
        refused(ask("op", "fs_list", "path", files.resolve("none").toString()), "not_found", "no such file");
        assertThat(ask("op", "fs_list", "path", files.toString(), "depth", 0).path("error").asText()).contains("'depth'");
        ok(ask("op", "fs_remove", "path", files.resolve("d").toString())); // more entries than one removal batch
        assertThat(files.resolve("d")).doesNotExist();
    }

    @Test
    void mkdirMoveAndRemove() throws Exception {
        Path made = files.resolve("a/b/c");
        assertThat(ok(ask("op", "fs_mkdir", "path", made.toString())).at("/entry/type").asText()).isEqualTo("dir");
        assertThat(made).isDirectory();
        refused(ask("op", "fs_mkdir", "path", made.toString()), "exists", "already exists");
        Files.writeString(made.resolve("f"), "data");
        JsonNode moved = ok(ask("op", "fs_move", "source", made.resolve("f").toString(), "destination", files.resolve("x/g").toString()));
        assertThat(moved.at("/entry/path").asText()).isEqualTo(files + "/x/g");
        assertThat(files.resolve("x/g")).hasContent("data");
        refused(ask("op", "fs_move", "source", made.resolve("f").toString(), "destination", files.resolve("h").toString()), "not_found",
                "no such file");
        Files.createSymbolicLink(files.resolve("a/link"), files.resolve("x"));
        ok(ask("op", "fs_remove", "path", files.resolve("a").toString()));
        assertThat(files.resolve("a")).doesNotExist();
        assertThat(files.resolve("x/g")).exists(); // the link was removed, not followed
        ok(ask("op", "fs_remove", "path", files.resolve("x/g").toString()));
        refused(ask("op", "fs_remove", "path", files.resolve("x/g").toString()), "not_found", "no such file");
    }

    @Test
    void aUsersOpsHaveThatUsersRights() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root, to act as another user");
        assumeTrue(new Users(Path.of("/etc/passwd")).find("nobody").isPresent(), "needs the user nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(files, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path closed = Files.createDirectory(files.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        refused(ask("op", "fs_list", "path", closed.toString(), "user", "nobody"), "denied", "permission denied");
        refused(ask("op", "fs_mkdir", "path", files.resolve("new").toString(), "user", "nobody"), "denied", "permission denied");
        Path open = Files.createDirectory(files.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        JsonNode made = ok(ask("op", "fs_mkdir", "path", open.resolve("mine").toString(), "user", "nobody"));
        assertThat(made.at("/entry/owner").asText()).isEqualTo("nobody");
        refused(ask("op", "fs_stat", "path", "/", "user", "no-such-user"), "not_found", "no user");
        // the agent's own rights are back after the user's op
        assertThat(ok(ask("op", "fs_list", "path", closed.toString())).path("entries").size()).isZero();
    }

    @Test
    void aWatchReportsWhatHappensUntilTheHostCloses() throws Exception {
        try (Stream s = host.open(JSON.writeValueAsBytes(Map.of("op", "fs_watch", "path", files.toString(), "recursive", true)))) {
            JsonNode started = JSON.readTree(Lines.readBounded(s.input(), 65536));
            assertThat(started.path("ok").asBoolean()).as("%s", started).isTrue();
            Files.writeString(files.resolve("new.txt"), "x");
            assertThat(next(s)).isEqualTo("create new.txt false");
            assertThat(next(s)).isEqualTo("write new.txt false");
            Files.createDirectory(files.resolve("sub"));
            assertThat(next(s)).isEqualTo("create sub true");
            Files.writeString(files.resolve("sub/inner"), "y");
            assertThat(next(s)).isEqualTo("create sub/inner false");
            assertThat(next(s)).isEqualTo("write sub/inner false");
            Files.move(files.resolve("new.txt"), files.resolve("renamed.txt"));
            assertThat(next(s)).isEqualTo("rename new.txt false");
            assertThat(next(s)).isEqualTo("create renamed.txt false");
            Files.setPosixFilePermissions(files.resolve("renamed.txt"), PosixFilePermissions.fromString("rwx------"));
            assertThat(next(s)).isEqualTo("chmod renamed.txt false");
            Files.delete(files.resolve("renamed.txt"));
            assertThat(next(s)).isEqualTo("remove renamed.txt false");
        }
        try (Stream s = host.open(JSON.writeValueAsBytes(Map.of("op", "fs_watch", "path", files.resolve("none").toString())))) {
            JsonNode refused = JSON.readTree(Lines.readBounded(s.input(), 65536));
            assertThat(refused.path("kind").asText()).as("%s", refused).isEqualTo("not_found");
        }
    }

    private static String next(Stream s) throws IOException {
        JsonNode e = JSON.readTree(Lines.readBounded(s.input(), 65536));
        return e.path("event").asText() + " " + e.path("name").asText() + " " + e.path("dir").asBoolean();
    }
}
