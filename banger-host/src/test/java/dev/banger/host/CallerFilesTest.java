package dev.banger.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading with a caller's rights, for real: the unprivileged reader is the system's {@code nobody}
 * (uid 65534), run through setpriv by this root test; the daemon-side copy is checked byte for byte.
 */
@Tag("privileged")
class CallerFilesTest {
    private static final CallerFiles.Identity NOBODY = new CallerFiles.Identity(65534, 65534, true);
    private static final Function<byte[], String> ANYTHING = head -> null;
    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    @TempDir
    Path tmp;
    private Path out;

    @BeforeEach
    void rootOnlyWithAnOpenDirectory() throws IOException {
        assumeTrue(HostInfo.isRoot(), "reading as another user needs root");
        // The test's own files sit where nobody may look (JUnit makes its temp directory 0700).
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        out = Files.createDirectory(tmp.resolve("out"));
    }

    private Path file(String name, byte[] content, String mode) throws IOException {
        Path p = Files.write(tmp.resolve(name), content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    private static long allocatedBlocks(Path p) {
        HostCommand.Output stat = HostCommand.run(List.of("stat", "-c", "%b", p.toString()), Duration.ofSeconds(10));
        return Long.parseLong(stat.text().strip());
    }

    @Test
    void theReaderIsDdRunAsTheCallerNeverAShell() {
        assertThat(CallerFiles.readerArgv(new CallerFiles.Identity(1001, 1002, true), Path.of("/home/a b/k; rm -rf ~")))
                .containsExactly("setpriv", "--reuid=1001", "--regid=1002", "--init-groups", "--no-new-privs", "--",
                        "dd", "if=/home/a b/k; rm -rf ~", "iflag=nonblock", "bs=1M", "status=none");
        assertThat(CallerFiles.readerArgv(new CallerFiles.Identity(4242, 4242, false), Path.of("/f")))
                .as("a uid without an account has no groups to look up").contains("--clear-groups").doesNotContain("--init-groups");
        assertThatThrownBy(() -> new CallerFiles.Identity(-1, 0, true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFileTheCallerCannotReadIsRefusedAndNothingIsLeft() throws IOException {
        Path secret = file("secret", "root:*:19000:0:99999:7:::\n".getBytes(), "rw-------");
        Path dest = out.resolve("copy");
        assertThatThrownBy(() -> CallerFiles.copy("--initrd " + secret, secret, dest, NOBODY, 1 << 20, 4096, ANYTHING, TIMEOUT))
                .isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
                    assertThat(e.getMessage()).startsWith("--initrd " + secret + ": permission denied when read with your rights (uid 65534");
                });
        assertThat(dest).doesNotExist();

        // Root reads the same file: the rights are the caller's, not the daemon's.
        CallerFiles.Copied asRoot = CallerFiles.copy("--initrd " + secret, secret, dest, CallerFiles.Identity.ROOT, 1 << 20, 4096,
                ANYTHING, TIMEOUT);
        assertThat(asRoot.size()).isEqualTo(Files.size(secret));
    }

    @Test
    void aReadableFileIsCopiedExactlyAndStaysSparse() throws IOException {
        // 8 MiB: random, a 6 MiB hole, random, and a trailing hole the size must keep.
        Path sparse = tmp.resolve("rootfs");
        byte[] data = new byte[512 * 1024];
        new Random(7).nextBytes(data);
        try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
            f.write(data);
            f.seek(6L << 20);
            f.write(data);
            f.setLength(8L << 20);
        }
        Files.setPosixFilePermissions(sparse, PosixFilePermissions.fromString("rw-r--r--"));
        for (CallerFiles.Identity reader : List.of(NOBODY, CallerFiles.Identity.ROOT)) {
            Path dest = out.resolve("copy-" + reader.uid());
            CallerFiles.Copied copied = CallerFiles.copy("--rootfs " + sparse, sparse, dest, reader, 16L << 20, 4096, ANYTHING, TIMEOUT);
            assertThat(copied.size()).as("%s", reader).isEqualTo(8L << 20);
            assertThat(copied.sha256()).isEqualTo(ImageBuilder.sha256(sparse)).isEqualTo(ImageBuilder.sha256(dest));
            assertThat(copied.head()).hasSize(4096).startsWith(java.util.Arrays.copyOf(data, 16));
            assertThat(Files.mismatch(sparse, dest)).isEqualTo(-1);
            assertThat(allocatedBlocks(dest)).as("512-byte blocks of %s's copy", reader).isLessThan(3 * 1024);
        }
    }

    @Test
    void missingFilesAndDirectoriesAreNamedWithTheReason() {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> CallerFiles.copy("--kernel " + missing, missing, out.resolve("k"), NOBODY, 1 << 20, 4096, ANYTHING, TIMEOUT))
                .isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).isEqualTo("--kernel " + missing + ": cannot be read with your rights (uid 65534, gid 65534): "
                            + "No such file or directory");
                });
        assertThatThrownBy(() -> CallerFiles.copy("--kernel " + tmp, tmp, out.resolve("k"), NOBODY, 1 << 20, 4096, ANYTHING, TIMEOUT))
                .hasMessageEndingWith("Is a directory");
        assertThatThrownBy(() -> CallerFiles.copy("--kernel " + tmp, tmp, out.resolve("k"), CallerFiles.Identity.ROOT, 1 << 20, 4096,
                ANYTHING, TIMEOUT)).hasMessage("--kernel " + tmp + " is not a regular file");
        assertThat(out).isEmptyDirectory();
    }

    @Test
    void endlessOrEmptyStreamsEndQuickly() throws Exception {
        Function<byte[], String> notZeros = head -> head.length == 0 ? "is empty"
                : java.util.Arrays.equals(head, new byte[head.length]) ? "holds only zeros" : null;
        long start = System.nanoTime();
        assertThatThrownBy(() -> CallerFiles.copy("--rootfs /dev/zero", Path.of("/dev/zero"), out.resolve("z"), NOBODY, 1L << 40, 4096,
                notZeros, TIMEOUT)).hasMessage("--rootfs /dev/zero holds only zeros");
        assertThatThrownBy(() -> CallerFiles.copy("--rootfs /dev/urandom", Path.of("/dev/urandom"), out.resolve("u"), NOBODY, 3L << 20,
                4096, notZeros, TIMEOUT)).hasMessageContaining("is larger than the 3 MiB banger accepts");
        // A FIFO nobody writes to would block an open forever; read without blocking, it is empty.
        Path fifo = tmp.resolve("fifo");
        assertThat(HostCommand.run(List.of("mkfifo", "-m", "0666", fifo.toString()), TIMEOUT).ok()).isTrue();
        assertThatThrownBy(() -> CallerFiles.copy("--initrd " + fifo, fifo, out.resolve("f"), NOBODY, 1 << 20, 4096, notZeros, TIMEOUT))
                .hasMessage("--initrd " + fifo + " is empty");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(out).isEmptyDirectory();
    }

    @Test
    void theHeadCheckSeesTheCopysFirstBytes() throws IOException {
        Path text = file("text", "not a kernel\n".getBytes(), "rw-r--r--");
        byte[][] seen = new byte[1][];
        Function<byte[], String> refuse = head -> {
            seen[0] = head;
            return "is refused";
        };
        assertThatThrownBy(() -> CallerFiles.copy("--kernel " + text, text, out.resolve("k"), NOBODY, 1 << 20, 4096, refuse, TIMEOUT))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(seen[0]).isEqualTo("not a kernel\n".getBytes());
        assertThat(out.resolve("k")).doesNotExist();
    }

    @Test
    void writeSparseHashesEverythingAndKeepsTheLength() throws IOException {
        byte[] content = new byte[3 * 4096 + 100];
        content[5000] = 1; // one non-zero block between holes, and a short zero tail
        Path dest = tmp.resolve("w");
        CallerFiles.Copied c = CallerFiles.writeSparse("x", new ByteArrayInputStream(content), dest, 1 << 20, 16, ANYTHING);
        assertThat(c.size()).isEqualTo(content.length);
        assertThat(Files.readAllBytes(dest)).isEqualTo(content);
        assertThat(c.head()).hasSize(16);
        assertThat(c.sha256()).isEqualTo(ImageBuilder.sha256(dest));
    }

    @Test
    void readFailuresMapToWhatTheCallerCanDo() {
        CallerFiles.Identity alice = new CallerFiles.Identity(1001, 1001, true);
        assertThat(CallerFiles.readFailure("--kernel /k", alice, 1, "dd: failed to open '/k': Permission denied\n").code())
                .isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(CallerFiles.readFailure("--kernel /k", alice, 1, "setpriv: setresuid failed: Operation not permitted").code())
                .isEqualTo(ErrorCode.HOST_FAILURE);
        assertThat(CallerFiles.readFailure("--kernel /k", alice, 1, "dd: error reading '/k': Input/output error").getMessage())
                .isEqualTo("--kernel /k: cannot be read with your rights (uid 1001, gid 1001): Input/output error");
        assertThat(CallerFiles.readFailure("--kernel /k", alice, 9, "").getMessage()).endsWith("the reader exited with status 9");
    }
}
