package dev.banger.channel.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive codec alone: what {@link TarWriter} writes {@link TarReader} reads back exactly; anything cut
 * short, damaged or random is refused with a {@link CopyRefusal} (or the peer's own {@link PeerFailure}),
 * never another exception, never an allocation the input chose; and tar(1) reads what the writer writes.
 */
class TarCodecTest {

    /** One entry to write and the data of a file. */
    record Spec(TarEntry entry, byte[] data) {
    }

    @Provide
    Arbitrary<List<Spec>> archives() {
        return Arbitraries.randomValue(TarCodecTest::randomArchive);
    }

    static List<Spec> randomArchive(Random r) {
        List<Spec> specs = new ArrayList<>();
        int n = 1 + r.nextInt(8);
        for (int i = 0; i < n; i++) {
            String name = randomName(r, i);
            FileTime mtime = randomTime(r);
            int mode = r.nextInt(07777 + 1);
            switch (r.nextInt(3)) {
                case 0 -> {
                    byte[] data = new byte[r.nextInt(10) == 0 ? 70_000 + r.nextInt(5000) : r.nextInt(1100)];
                    r.nextBytes(data);
                    specs.add(new Spec(new TarEntry(TarEntry.Kind.FILE, name, data.length, mode, mtime, null), data));
                }
                case 1 -> specs.add(new Spec(new TarEntry(TarEntry.Kind.DIRECTORY, name, 0, mode, mtime, null), null));
                default -> specs.add(new Spec(new TarEntry(TarEntry.Kind.SYMLINK, name, 0, 0777, mtime, randomText(r, 1 + r.nextInt(300))), null));
            }
        }
        return specs;
    }

    private static String randomName(Random r, int i) {
        StringBuilder b = new StringBuilder("top");
        int parts = r.nextInt(4);
        for (int p = 0; p < parts; p++) {
            b.append('/').append(randomText(r, 1 + r.nextInt(r.nextInt(5) == 0 ? 120 : 12)).replace("/", "_"));
        }
        return b.append('/').append(i).toString();
    }

    /** Letters, digits, spaces, punctuation and some non-ASCII; never NUL. */
    private static String randomText(Random r, int length) {
        String alphabet = "abcXYZ019 ._-=:;'\"$()[]{}\\é漢字🙂\n\t";
        StringBuilder b = new StringBuilder();
        while (b.length() < length) {
            b.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())))));
        }
        return b.toString();
    }

    private static FileTime randomTime(Random r) {
        long seconds = switch (r.nextInt(4)) {
            case 0 -> -r.nextInt(1_000_000_000) - 1L; // before 1970
            case 1 -> TarFormat.MAX_OCTAL + 1 + r.nextInt(1000); // past ustar's field
            default -> r.nextInt(2_000_000_000);
        };
        return FileTime.from(Instant.ofEpochSecond(seconds, r.nextBoolean() ? 0 : r.nextInt(1_000_000_000)));
    }

    static byte[] write(List<Spec> specs) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        for (Spec s : specs) {
            TarEntry e = s.entry();
            switch (e.kind()) {
                case FILE -> w.file(e.name(), e.size(), e.mode(), e.mtime(), new ByteArrayInputStream(s.data()));
                case DIRECTORY -> w.directory(e.name(), e.mode(), e.mtime());
                case SYMLINK -> w.symlink(e.name(), e.linkTarget(), e.mtime());
            }
        }
        w.finish();
        return bytes.toByteArray();
    }

    /** Reads a whole archive: entries, and every file's data (which checks it). */
    static List<Spec> readAll(byte[] archive) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(archive));
        List<Spec> out = new ArrayList<>();
        for (TarEntry e; (e = r.next()) != null; ) {
            out.add(new Spec(e, e.kind() == TarEntry.Kind.FILE ? r.content().readAllBytes() : null));
        }
        return out;
    }

    @Property(tries = 300)
    void whatIsWrittenIsReadBackExactly(@ForAll("archives") List<Spec> specs) throws IOException {
        List<Spec> back = readAll(write(specs));
        assertThat(back).hasSameSizeAs(specs);
        for (int i = 0; i < specs.size(); i++) {
            assertThat(back.get(i).entry()).isEqualTo(specs.get(i).entry());
            assertThat(back.get(i).data()).isEqualTo(specs.get(i).data());
        }
    }

    @Property(tries = 60)
    void anArchiveCutShortIsRefusedWhereverItIsCut(@ForAll("archives") List<Spec> specs, @ForAll Random random) throws IOException {
        byte[] whole = write(specs);
        for (int i = 0; i < 40; i++) {
            int cut = random.nextInt(whole.length);
            assertThatThrownBy(() -> readAll(Arrays.copyOf(whole, cut))).as("cut at %d of %d", cut, whole.length)
                    .isInstanceOf(CopyRefusal.class).hasMessageContaining("ended early");
        }
    }

    @Test
    void everyCutOfASmallArchiveIsRefused() throws IOException {
        byte[] whole = write(List.of(new Spec(new TarEntry(TarEntry.Kind.DIRECTORY, "top", 0, 0755, FileTime.fromMillis(1234), null), null),
                new Spec(new TarEntry(TarEntry.Kind.FILE, "top/f", 600, 0644, FileTime.fromMillis(5678), null), new byte[600])));
        for (int cut = 0; cut < whole.length; cut++) {
            int at = cut;
            assertThatThrownBy(() -> readAll(Arrays.copyOf(whole, at))).as("cut at %d", cut).isInstanceOf(CopyRefusal.class);
        }
        assertThat(readAll(whole)).hasSize(2);
    }

    @Property(tries = 300)
    void damagedArchivesAreRefusedOrDeliverIntactData(@ForAll("archives") List<Spec> specs, @ForAll Random random) throws IOException {
        byte[] archive = write(specs);
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
            archive[random.nextInt(archive.length)] ^= (byte) (1 + random.nextInt(255));
        }
        List<Spec> back;
        try {
            back = readAll(archive);
        } catch (CopyRefusal | PeerFailure refused) {
            return; // the damage was seen
        }
        // Undetected damage can only be in what no check covers (padding, ignored fields, pax metadata); a file's data never.
        for (Spec s : back) {
            if (s.data() != null) {
                assertThat(specs.stream().filter(o -> o.data() != null).map(o -> RawTar.sha256(o.data())))
                        .contains(RawTar.sha256(s.data()));
            }
        }
    }

    @Property(tries = 500)
    void randomBytesAreRefused(@ForAll("noise") byte[] noise) {
        assertThatThrownBy(() -> readAll(noise)).isInstanceOf(CopyRefusal.class);
    }

    @Provide
    Arbitrary<byte[]> noise() {
        return Arbitraries.randomValue(r -> {
            byte[] b = new byte[r.nextInt(4000)];
            r.nextBytes(b);
            if (b.length > 0 && r.nextBoolean()) {
                b[0] = (byte) ('a' + r.nextInt(26)); // something like a name, so parsing goes further
            }
            return b;
        });
    }

    @Test
    void anOversizedExtendedHeaderIsRefusedBeforeItIsRead() {
        byte[] archive = new RawTar().header(TarFormat.PAX_ENTRY, "PaxHeader", 0644, 1L << 30, null).bytes();
        assertThatThrownBy(() -> readAll(archive)).isInstanceOf(CopyRefusal.class)
                .hasMessageContaining("an extended header of 1073741824 bytes (at most 16384)");
    }

    @Test
    void aFileSizeIsOnlyABoundOnWhatIsRead() throws IOException {
        byte[] archive = new RawTar().pax(TarFormat.PAX_ENTRY, Map.of("size", "9000000000000")).header(TarFormat.REGULAR, "top", 0644, 0, null)
                .data(new byte[1000]).bytes();
        TarReader r = new TarReader(new ByteArrayInputStream(archive));
        assertThat(r.next().size()).isEqualTo(9_000_000_000_000L);
        InputStream content = r.content();
        byte[] buf = new byte[64 * 1024];
        assertThatThrownBy(() -> {
            while (content.read(buf) >= 0) {
                // reads what arrives, no more
            }
        }).isInstanceOf(CopyRefusal.class).hasMessageContaining("ended early");
    }

    @Test
    void malformedExtendedRecordsAreRefused() {
        for (String records : List.of("99 path=x\n", "6 path=x\n", "x path=y\n", "10 pathxyz\n", "9 =value\n", "11 path=ab")) {
            byte[] data = records.getBytes(StandardCharsets.UTF_8);
            byte[] archive = new RawTar().header(TarFormat.PAX_ENTRY, "PaxHeader", 0644, data.length, null).data(data)
                    .dir("top").end().bytes();
            assertThatThrownBy(() -> readAll(archive)).as(records).isInstanceOf(CopyRefusal.class).hasMessageContaining("malformed");
        }
    }

    @Test
    void namesThatAreNotUtf8OrHoldNulAreRefused() {
        byte[] bad = new RawTar().header(TarFormat.DIRECTORY, "top\u00ff", 0755, 0, null).end().bytes();
        int at = 3; // the name's fourth byte: make it a lone continuation byte
        bad[at] = (byte) 0x80;
        fixChecksum(bad, 0);
        assertThatThrownBy(() -> readAll(bad)).isInstanceOf(CopyRefusal.class).hasMessageContaining("not UTF-8");
        byte[] nul = new RawTar().pax(TarFormat.PAX_ENTRY, Map.of("path", "top\0/etc")).dir("top").end().bytes();
        assertThatThrownBy(() -> readAll(nul)).isInstanceOf(CopyRefusal.class).hasMessageContaining("NUL");
        byte[] longName = new RawTar().pax(TarFormat.PAX_ENTRY, Map.of("path", "t/".repeat(2100))).dir("top").end().bytes();
        assertThatThrownBy(() -> readAll(longName)).isInstanceOf(CopyRefusal.class).hasMessageContaining("longer than 4096 bytes");
    }

    @Test
    void onlyFilesDirectoriesAndLinksAreAccepted() {
        Map<Character, String> kinds = Map.of('1', "a hard link", '3', "a character device", '4', "a block device", '6', "a FIFO",
                'L', "a GNU long name", 'V', "an entry of type 'V'");
        kinds.forEach((type, said) -> {
            byte[] archive = new RawTar().header((byte) (char) type, "top", 0644, 0, "/etc/shadow").end().bytes();
            assertThatThrownBy(() -> readAll(archive)).as(said).isInstanceOf(CopyRefusal.class).hasMessageContaining(said)
                    .hasMessageContaining("'top'");
        });
    }

    @Test
    void aChecksumThatDoesNotMatchIsRefused() {
        byte[] archive = new RawTar().file("top", "hello".getBytes(StandardCharsets.UTF_8), RawTar.crc32c(new byte[5])).end().bytes();
        assertThatThrownBy(() -> readAll(archive)).isInstanceOf(CopyRefusal.class).hasMessageContaining("'top' arrived damaged");
        byte[] none = new RawTar().header(TarFormat.REGULAR, "top", 0644, 5, null).data(new byte[5]).end().bytes();
        assertThatThrownBy(() -> readAll(none)).isInstanceOf(CopyRefusal.class).hasMessageContaining("no checksum after the data of 'top'");
        byte[] stray = new RawTar().pax(TarFormat.PAX_GLOBAL, Map.of(TarFormat.CRC32C, RawTar.crc32c(new byte[0]))).end().bytes();
        assertThatThrownBy(() -> readAll(stray)).isInstanceOf(CopyRefusal.class).hasMessageContaining("a checksum with no file before it");
    }

    @Test
    void aHeaderWhoseChecksumIsWrongIsRefused() {
        byte[] archive = new RawTar().dir("top").end().bytes();
        archive[100] = '7'; // the mode, without fixing the checksum
        assertThatThrownBy(() -> readAll(archive)).isInstanceOf(CopyRefusal.class).hasMessageContaining("checksum does not match");
    }

    @Test
    void aFileThatCannotBeReadWholeEndsTheArchiveWithTheReason() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        InputStream failing = new InputStream() {
            private int left = 3000;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("Input/output error");
                }
                return 'x';
            }
        };
        assertThatThrownBy(() -> w.file("top", 10_000, 0644, FileTime.fromMillis(0), failing)).isInstanceOf(CopyRefusal.class)
                .hasMessage("cannot read top: Input/output error");
        w.abort("not written: the archive has ended");
        TarReader r = new TarReader(new ByteArrayInputStream(bytes.toByteArray()));
        assertThat(r.next().name()).isEqualTo("top");
        assertThatThrownBy(() -> r.content().readAllBytes()).isInstanceOf(PeerFailure.class).hasMessage("cannot read top: Input/output error");

        ByteArrayOutputStream shrunk = new ByteArrayOutputStream();
        TarWriter w2 = new TarWriter(shrunk);
        assertThatThrownBy(() -> w2.file("top", 100, 0644, FileTime.fromMillis(0), new ByteArrayInputStream(new byte[40])))
                .hasMessageContaining("top shrank while it was copied (40 of 100 bytes)");
        assertThatThrownBy(() -> readAll(shrunk.toByteArray())).isInstanceOf(PeerFailure.class).hasMessageContaining("shrank");
    }

    @Test
    void aFileThatGrewIsCopiedAtTheSizeItHad() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        w.file("top", 4, 0644, FileTime.fromMillis(0), new ByteArrayInputStream("abcdefgh".getBytes(StandardCharsets.US_ASCII)));
        w.finish();
        assertThat(new String(readAll(bytes.toByteArray()).getFirst().data(), StandardCharsets.US_ASCII)).isEqualTo("abcd");
    }

    @Test
    void anAbortBetweenEntriesIsThePeersReasonMadeInert() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        w.directory("top", 0755, FileTime.fromMillis(0));
        w.abort("No space left on device\u001b[2J\nforged line");
        TarReader r = new TarReader(new ByteArrayInputStream(bytes.toByteArray()));
        assertThat(r.next().kind()).isEqualTo(TarEntry.Kind.DIRECTORY);
        assertThatThrownBy(r::next).isInstanceOf(PeerFailure.class).hasMessage("No space left on device?[2J?forged line");
    }

    @Test
    void tarReadsWhatTheWriterWrites(@TempDir Path dir) throws Exception {
        String longName = "top/" + "d".repeat(120) + "/" + "é".repeat(70);
        FileTime t = FileTime.from(Instant.ofEpochSecond(1_600_000_000L, 123_456_789));
        byte[] data = new byte[100_000];
        new Random(7).nextBytes(data);
        List<Spec> specs = List.of(
                new Spec(new TarEntry(TarEntry.Kind.DIRECTORY, "top", 0, 0750, t, null), null),
                new Spec(new TarEntry(TarEntry.Kind.DIRECTORY, "top/" + "d".repeat(120), 0, 0755, t, null), null),
                new Spec(new TarEntry(TarEntry.Kind.FILE, longName, data.length, 0640, t, null), data),
                new Spec(new TarEntry(TarEntry.Kind.SYMLINK, "top/link", 0, 0777, t, "../" + "x".repeat(150)), null));
        Path archive = dir.resolve("a.tar");
        Files.write(archive, write(specs));
        Path out = Files.createDirectory(dir.resolve("out"));
        Process tar = new ProcessBuilder("tar", "-xf", archive.toString(), "-C", out.toString()).redirectErrorStream(true).start();
        String said = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue()).as(said).isZero();
        assertThat(Files.readAllBytes(out.resolve(longName))).isEqualTo(data);
        assertThat(Files.getLastModifiedTime(out.resolve(longName))).isEqualTo(t);
        assertThat(Files.readSymbolicLink(out.resolve("top/link")).toString()).isEqualTo("../" + "x".repeat(150));
        assertThat(Files.getAttribute(out.resolve(longName), "unix:mode", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0100640);
    }

    @Test
    void paxTimesRoundTripAroundTheEpoch() {
        for (long s : new long[] {-3, -2, -1, 0, 1, 2}) {
            for (int n : new int[] {0, 1, 500_000_000, 999_999_999}) {
                FileTime t = FileTime.from(Instant.ofEpochSecond(s, n));
                assertThat(TarFormat.parsePaxTime(TarFormat.paxTime(t))).as("%d.%09d", s, n).isEqualTo(t);
            }
        }
        assertThat(TarFormat.paxTime(FileTime.from(Instant.ofEpochSecond(-2, 500_000_000)))).isEqualTo("-1.500000000");
        assertThat(TarFormat.parsePaxTime("12.3456789012345")).isEqualTo(FileTime.from(Instant.ofEpochSecond(12, 345_678_901)));
    }

    /** Recomputes a header's checksum after a test changed it. */
    static void fixChecksum(byte[] archive, int offset) {
        byte[] block = Arrays.copyOfRange(archive, offset, offset + TarFormat.BLOCK);
        long sum = 0;
        for (int i = 0; i < TarFormat.BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : block[i] & 0xFF;
        }
        String digits = String.format("%06o", sum);
        for (int i = 0; i < 6; i++) {
            archive[offset + 148 + i] = (byte) digits.charAt(i);
        }
        archive[offset + 154] = 0;
        archive[offset + 155] = ' ';
    }
}
