package dev.banger.channel.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trees through the archive and back onto disk ({@link SourceTree} to {@link Extractor}): modes, mtimes and
 * links kept; where the copy lands; and archives a hostile peer could send, refused without anything written
 * outside the destination, through a link, or left half-written.
 */
class ExtractorTest {
    @TempDir
    Path dir;
    private Path src;
    private Path dst;
    private Path outside;

    @BeforeEach
    void layout() throws IOException {
        src = Files.createDirectory(dir.resolve("src"));
        dst = Files.createDirectory(dir.resolve("dst"));
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
    }

    private static void times(Path p, long seconds, int nanos) throws IOException {
        Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(Instant.ofEpochSecond(seconds, nanos)), null, null);
    }

    private static void mode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    /** A tree with every kind of entry, odd modes and exact mtimes (set last, deepest first). */
    private Path richTree() throws IOException {
        Path top = Files.createDirectory(src.resolve("tree"));
        Path sub = Files.createDirectories(top.resolve("sub/deeper"));
        Path ro = Files.createDirectory(top.resolve("read-only"));
        Files.writeString(ro.resolve("inside"), "kept though its directory is 0555");
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(big);
        Files.write(top.resolve("big.bin"), big);
        Files.write(top.resolve("empty"), new byte[0]);
        Files.writeString(sub.resolve("é 漢字 name with spaces"), "unicode");
        Files.writeString(top.resolve("setuid"), "#!/bin/sh\n");
        Files.writeString(top.resolve("n".repeat(200)), "a long name");
        Files.createSymbolicLink(top.resolve("relative-link"), Path.of("sub/deeper"));
        Files.createSymbolicLink(top.resolve("absolute-link"), outside.resolve("passwd"));
        Files.createSymbolicLink(top.resolve("dangling"), Path.of("/nowhere/at/all"));
        mode(top.resolve("setuid"), 04755);
        mode(top.resolve("big.bin"), 0640);
        mode(top.resolve("empty"), 0600);
        mode(sub, 0750);
        mode(top.resolve("sub"), 02775);
        try (var walk = Files.walk(top)) {
            int i = 0;
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                times(p, 1_500_000_000L + 1000L * i, i % 2 == 0 ? 123_456_789 : 0);
                i++;
            }
        }
        mode(ro, 0555);
        return top;
    }

    @Test
    void aTreeArrivesWithItsModesMtimesAndLinks() throws IOException {
        Path top = richTree();
        CopySummary sent = SourceTree.of(top).send(new TarWriter(java.io.OutputStream.nullOutputStream()));
        CopySummary got = Trees.extract(Trees.archive(top), dst.toString(), Extractor.ALL_MODE_BITS);
        assertThat(got).isEqualTo(sent);
        assertThat(got.files()).isEqualTo(6);
        assertThat(got.symlinks()).isEqualTo(3);
        assertThat(got.directories()).isEqualTo(4);
        assertThat(Trees.describe(dst.resolve("tree"))).isEqualTo(Trees.describe(top));
        assertThat(Trees.temporaries(dst)).isZero();
    }

    @Test
    void theHostKeepsPermissionsButNeverSetuidOrSetgid() throws IOException {
        Path top = richTree();
        Trees.extract(Trees.archive(top), dst.toString(), Extractor.PERMISSION_BITS);
        assertThat(Files.getAttribute(dst.resolve("tree/setuid"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.getAttribute(dst.resolve("tree/sub"), "unix:mode")).isEqualTo(040775);
        assertThat(Files.getAttribute(dst.resolve("tree/big.bin"), "unix:mode")).isEqualTo(0100640);
    }

    @Test
    void whereTheCopyLands() throws IOException {
        Path file = Files.writeString(src.resolve("f"), "one");
        Path tree = Files.createDirectories(src.resolve("d/e"));
        // an existing directory receives the copy inside it, under the source's name
        Trees.extract(Trees.archive(file), dst.toString(), Extractor.ALL_MODE_BITS);
        assertThat(dst.resolve("f")).hasContent("one");
        Trees.extract(Trees.archive(src.resolve("d")), dst + "/", Extractor.ALL_MODE_BITS);
        assertThat(dst.resolve("d/e")).isDirectory();
        // a new name becomes the copy
        Trees.extract(Trees.archive(file), dst.resolve("renamed").toString(), Extractor.ALL_MODE_BITS);
        assertThat(dst.resolve("renamed")).hasContent("one");
        Trees.extract(Trees.archive(src.resolve("d")), dst.resolve("newdir").toString(), Extractor.ALL_MODE_BITS);
        assertThat(dst.resolve("newdir/e")).isDirectory();
        // an existing file is replaced; an existing directory merged into
        Files.writeString(file, "two");
        Files.writeString(tree.resolve("added"), "new");
        Trees.extract(Trees.archive(file), dst.resolve("renamed").toString(), Extractor.ALL_MODE_BITS);
        assertThat(dst.resolve("renamed")).hasContent("two");
        Trees.extract(Trees.archive(src.resolve("d")), dst.toString(), Extractor.ALL_MODE_BITS);
        assertThat(dst.resolve("d/e/added")).hasContent("new");
        // a link at the destination's name is replaced, never written through
        Files.createSymbolicLink(dst.resolve("link"), outside.resolve("passwd"));
        Trees.extract(Trees.archive(file), dst.resolve("link").toString(), Extractor.ALL_MODE_BITS);
        assertThat(Files.isSymbolicLink(dst.resolve("link"))).isFalse();
        assertThat(outside.resolve("passwd")).hasContent("root:x:0:0\n");
        // refusals: what must exist does not, or a directory would be replaced by a file
        assertThatThrownBy(() -> Trees.extract(Trees.archive(file), dst.resolve("missing") + "/", Extractor.ALL_MODE_BITS))
                .isInstanceOf(CopyRefusal.class).hasMessageContaining("no such directory: " + dst.resolve("missing"));
        assertThatThrownBy(() -> Trees.extract(Trees.archive(file), dst.resolve("no/such/parent").toString(), Extractor.ALL_MODE_BITS))
                .isInstanceOf(CopyRefusal.class).hasMessage("no such directory: " + dst.resolve("no/such") + " (create it first)");
        assertThatThrownBy(() -> Trees.extract(Trees.archive(file), dst.resolve("renamed") + "/", Extractor.ALL_MODE_BITS))
                .isInstanceOf(CopyRefusal.class).hasMessageContaining("is not a directory");
        Files.createDirectories(dst.resolve("x/f"));
        assertThatThrownBy(() -> Trees.extract(Trees.archive(file), dst.resolve("x").toString(), Extractor.ALL_MODE_BITS))
                .isInstanceOf(CopyRefusal.class).hasMessageContaining("a directory is in its place");
        assertThatThrownBy(() -> Trees.extract(Trees.archive(src.resolve("d")), dst.resolve("renamed").toString(), Extractor.ALL_MODE_BITS))
                .isInstanceOf(CopyRefusal.class).hasMessageContaining("a file that is not a directory is in its place");
    }

    /** The hostile archives, by what they try, and the refusal each must meet. */
    private Map<String, Object[]> hostile() {
        byte[] data = "pwned".getBytes(StandardCharsets.UTF_8);
        String out = outside.toString();
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("a .. first", new Object[] {new RawTar().file("../passwd", data).end(), "a '..' component"});
        cases.put("an absolute name", new Object[] {new RawTar().file(out + "/passwd", data).end(), "an absolute name"});
        cases.put("a .. inside", new Object[] {new RawTar().dir("top").file("top/../../outside/passwd", data).end(), "a '..' component"});
        cases.put("a file through a link it made", new Object[] {
                new RawTar().dir("top").symlink("top/link", out).file("top/link/passwd", data).end(), "its directory is not one this copy made"});
        cases.put("a directory over a link it made", new Object[] {
                new RawTar().dir("top").symlink("top/link", out).dir("top/link").file("top/link/passwd", data).end(),
                "a symbolic link is in its place"});
        cases.put("a hard link", new Object[] {new RawTar().dir("top").header((byte) '1', "top/h", 0644, 0, out + "/passwd").end(), "a hard link"});
        cases.put("a device", new Object[] {new RawTar().dir("top").header((byte) '3', "top/tty", 0666, 0, null).end(), "a character device"});
        cases.put("a FIFO", new Object[] {new RawTar().dir("top").header((byte) '6', "top/p", 0666, 0, null).end(), "a FIFO"});
        cases.put("an oversized extended header", new Object[] {
                new RawTar().dir("top").header(TarFormat.PAX_ENTRY, "PaxHeader", 0644, 100_000_000L, null).end(), "an extended header of"});
        cases.put("a wrong checksum", new Object[] {new RawTar().dir("top").file("top/f", data, RawTar.crc32c(new byte[1])).end(), "arrived damaged"});
        cases.put("an entry outside the top", new Object[] {new RawTar().dir("top").file("other", data).end(), "must lie inside the copy's top entry"});
        cases.put("a second top", new Object[] {new RawTar().dir("top").dir("top").end(), "must lie inside the copy's top entry"});
        cases.put("no top first", new Object[] {new RawTar().file("top/f", data).end(), "must begin with its top entry"});
        cases.put("a missing directory", new Object[] {new RawTar().dir("top").file("top/a/b", data).end(), "its directory is not one this copy made"});
        cases.put("a long component", new Object[] {new RawTar().dir("top").pax(TarFormat.PAX_ENTRY, Map.of("path", "top/" + "x".repeat(300)))
                .header(TarFormat.REGULAR, "x", 0644, 0, null).pax(TarFormat.PAX_GLOBAL, Map.of(TarFormat.CRC32C, RawTar.crc32c(new byte[0])))
                .end(), "longer than 255 bytes"});
        cases.put("an empty archive", new Object[] {new RawTar().end(), "the archive was empty"});
        cases.put("the sender's reason", new Object[] {new RawTar().dir("top").file("top/kept", data)
                .pax(TarFormat.PAX_GLOBAL, Map.of(TarFormat.ERROR, "cannot read top/next: Input/output error")).end(),
                "cannot read top/next: Input/output error"});
        return cases;
    }

    @Test
    void hostileArchivesAreRefusedAndNothingEscapes() throws IOException {
        Map<String, String> outsideBefore = Trees.describe(outside);
        for (Map.Entry<String, Object[]> c : hostile().entrySet()) {
            Path d = Files.createDirectory(dir.resolve("dst-" + c.getKey().replace(' ', '-')));
            byte[] archive = ((RawTar) c.getValue()[0]).bytes();
            assertThatThrownBy(() -> Trees.extract(archive, d.toString(), Extractor.PERMISSION_BITS)).as(c.getKey())
                    .isInstanceOfAny(CopyRefusal.class, PeerFailure.class).hasMessageContaining((String) c.getValue()[1]);
            assertThat(Trees.describe(outside)).as(c.getKey()).isEqualTo(outsideBefore);
            assertThat(Trees.temporaries(d)).as(c.getKey()).isZero();
            assertThat(Files.exists(d.resolve("top/f"))).as("%s: a damaged file is never put in place", c.getKey()).isFalse();
        }
        assertThat(dir.resolve("dst-the-sender's-reason/top/kept")).as("what came whole before the failure stays").hasContent("pwned");
    }

    @Test
    void aLinkAlreadyInTheDestinationIsNeverWrittenThrough() throws IOException {
        Files.createSymbolicLink(dst.resolve("top"), outside);
        byte[] archive = new RawTar().dir("top").file("top/passwd", "pwned".getBytes(StandardCharsets.UTF_8)).end().bytes();
        assertThatThrownBy(() -> Trees.extract(archive, dst.toString(), Extractor.PERMISSION_BITS))
                .hasMessageContaining("a symbolic link is in its place");
        assertThat(outside.resolve("passwd")).hasContent("root:x:0:0\n");
    }

    @Test
    void anArchiveCutShortLeavesNoHalfFileBehind() throws IOException {
        byte[] data = new byte[200_000];
        new Random(3).nextBytes(data);
        byte[] whole = new RawTar().dir("top").file("top/big", data).end().bytes();
        for (int cut : new int[] {1536, 1537, 100_000, whole.length - 1100}) {
            Path d = Files.createDirectory(dir.resolve("cut-" + cut));
            assertThatThrownBy(() -> Trees.extract(Arrays.copyOf(whole, cut), d.toString(), Extractor.PERMISSION_BITS))
                    .isInstanceOf(CopyRefusal.class).hasMessageContaining("ended early");
            assertThat(d.resolve("top/big")).doesNotExist();
            assertThat(Trees.temporaries(d)).isZero();
        }
    }

    @Test
    void aCopyStoppedFromOutsideLeavesNoTemporaryFile() throws Exception {
        byte[] whole = new RawTar().dir("top").file("top/big", new byte[100_000]).end().bytes();
        java.io.PipedOutputStream feed = new java.io.PipedOutputStream();
        java.io.PipedInputStream in = new java.io.PipedInputStream(feed, 1 << 20);
        feed.write(whole, 0, 50_000); // the file's first bytes, then nothing more: a stalled peer
        Extractor x = new Extractor(CopyTarget.resolve(dst.toString()), Extractor.PERMISSION_BITS);
        Thread copying = Thread.ofVirtual().start(() -> {
            try {
                x.extract(new TarReader(in));
            } catch (IOException expected) {
                // the feed is closed below
            }
        });
        assertThat(Await.until(() -> Trees.temporaries(dst) == 1)).as("the file is being written").isTrue();
        x.abandon();
        assertThat(Trees.temporaries(dst)).isZero();
        feed.close();
        copying.join(10_000);
        assertThat(dst.resolve("top/big")).doesNotExist();
    }

    /** Polls a condition for up to ten seconds. */
    private static final class Await {
        interface Check {
            boolean holds() throws IOException;
        }

        static boolean until(Check c) throws Exception {
            for (int i = 0; i < 1000; i++) {
                if (c.holds()) {
                    return true;
                }
                Thread.sleep(10);
            }
            return false;
        }
    }
}
