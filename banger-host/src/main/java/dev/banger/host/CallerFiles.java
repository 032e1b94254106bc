package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Copies a file that an RPC caller named on the host into a directory of the daemon's, reading it with
 * the caller's rights. The daemon is root and its callers need not be: "import /etc/shadow as my
 * initrd" must fail for a caller who could not read /etc/shadow themselves.
 *
 * <p>For a caller other than root the file is opened and read by {@code dd}, started through
 * {@code setpriv} as the caller: their uid, their primary gid and their account's supplementary groups.
 * The daemon checks nothing before that open (a check followed by an open of its own would race with a
 * caller who swaps the file), and it writes the copy itself from what dd sends down a pipe, so no
 * process of the caller's ever holds a descriptor of the daemon's file. Blocks of zeros are skipped (the
 * copy stays sparse), the SHA-256 is computed on the way, and the copy is capped in size and time,
 * since the name may be a FIFO or a device that never ends ({@code iflag=nonblock}: a FIFO without a
 * writer reads as empty instead of blocking forever).
 *
 * <p>A root caller may read anything anyway: its copy is {@code cp --sparse=always --reflink=auto},
 * instant on a filesystem with reflinks.
 *
 * <p>Either way the first bytes of the copy go through {@code headProblem} as soon as they are there,
 * so a stream that is plainly the wrong thing (a device of zeros, random bytes) is stopped at once.
 */
public final class CallerFiles {
    private static final int BLOCK = 4096;
    private static final int BUFFER = 1 << 20;
    private static final int MAX_STDERR = 64 * 1024;
    /** Error lines of dd and setpriv are parsed: keep them in English. */
    private static final Map<String, String> ENVIRONMENT = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL", "C");

    /**
     * Whose rights a file is read with.
     *
     * @param uid        the caller's user id (0: root)
     * @param gid        the caller's primary group id
     * @param hasAccount whether the uid has an account (a passwd entry), whose supplementary groups then
     *                   apply ({@code --init-groups}); a bare uid reads with its primary group alone
     */
    public record Identity(int uid, int gid, boolean hasAccount) {
        public static final Identity ROOT = new Identity(0, 0, true);

        public Identity {
            if (uid < 0 || gid < 0) {
                throw new IllegalArgumentException("uid and gid must be known: " + uid + ", " + gid);
            }
        }

        public boolean root() {
            return uid == 0;
        }

        @Override
        public String toString() {
            return "uid " + uid + ", gid " + gid;
        }
    }

    /**
     * What was copied.
     *
     * @param size   bytes
     * @param sha256 of the whole content, in hex
     * @param head   the first bytes (as many as asked for, fewer when the file is shorter)
     */
    public record Copied(long size, String sha256, byte[] head) {
    }

    private CallerFiles() {
    }

    /**
     * Copies {@code source} to {@code dest} (which must not exist) with {@code reader}'s rights. On any
     * failure {@code dest} is removed and the exception says why: {@code PERMISSION_DENIED} when the caller
     * may not read the file, {@code INVALID_ARGUMENT} when it is missing, not a file, too large, or its
     * head fails {@code headProblem}.
     *
     * @param label       how messages name the file, e.g. "--initrd /boot/initrd.img"
     * @param maxBytes    the largest copy accepted
     * @param headBytes   how many leading bytes {@code headProblem} and {@link Copied#head()} get
     * @param headProblem why a file starting with these bytes is refused, or null to go on
     * @param timeout     how long the whole copy may take
     */
    public static Copied copy(String label, Path source, Path dest, Identity reader, long maxBytes, int headBytes,
                              Function<byte[], String> headProblem, Duration timeout) {
        if (!source.isAbsolute()) {
            throw new IllegalArgumentException("not absolute: " + source);
        }
        try {
            return reader.root() ? copyAsRoot(label, source, dest, maxBytes, headBytes, headProblem, timeout)
                    : stream(label, source, dest, reader, maxBytes, headBytes, headProblem, timeout);
        } catch (RuntimeException e) {
            removeQuietly(dest);
            throw e;
        }
    }

    /** The reader's argv: dd run as the caller, writing the file to its stdout. Never a shell. */
    static List<String> readerArgv(Identity reader, Path source) {
        return List.of("setpriv", "--reuid=" + reader.uid(), "--regid=" + reader.gid(),
                reader.hasAccount() ? "--init-groups" : "--clear-groups", "--no-new-privs", "--",
                "dd", "if=" + source, "iflag=nonblock", "bs=1M", "status=none");
    }

    private static Copied copyAsRoot(String label, Path source, Path dest, long maxBytes, int headBytes,
                                     Function<byte[], String> headProblem, Duration timeout) {
        if (!Files.isRegularFile(source)) {
            throw BangerException.invalid(label + (Files.exists(source) ? " is not a regular file" : ": no such file"));
        }
        // cp keeps a sparse file sparse and reflinks where the filesystem can.
        HostCommand.Output cp = HostCommand.run(List.of("cp", "--sparse=always", "--reflink=auto", "--", source.toString(), dest.toString()),
                timeout);
        if (!cp.ok()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "copying " + label + ": " + cp.text().strip());
        }
        try {
            long size = Files.size(dest);
            if (size > maxBytes) {
                throw tooLarge(label, maxBytes);
            }
            byte[] head;
            try (InputStream in = Files.newInputStream(dest)) {
                head = in.readNBytes(headBytes);
            }
            refuseBadHead(label, head, headProblem);
            return new Copied(size, ImageBuilder.sha256(dest), head);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "reading the copy of " + label + ": " + e.getMessage(), e);
        }
    }

    private static Copied stream(String label, Path source, Path dest, Identity reader, long maxBytes, int headBytes,
                                 Function<byte[], String> headProblem, Duration timeout) {
        ProcessBuilder pb = dev.banger.host.SystemPath.apply(new ProcessBuilder(readerArgv(reader, source)))
                .directory(new File("/"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(ENVIRONMENT);
        Process dd;
        try {
            dd = pb.start();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.MISSING_DEPENDENCY, "cannot run setpriv to read " + label + " as the caller: "
                    + e.getMessage() + " (setpriv is in util-linux)");
        }
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread.ofVirtual().start(() -> {
            try {
                if (!dd.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    timedOut.set(true);
                    dd.destroyForcibly();
                }
            } catch (InterruptedException e) {
                dd.destroyForcibly();
            }
        });
        byte[][] stderr = new byte[1][];
        Thread errors = Thread.ofVirtual().start(() -> stderr[0] = drain(dd.getErrorStream()));
        Copied copied;
        try {
            copied = writeSparse(label, dd.getInputStream(), dest, maxBytes, headBytes, headProblem);
        } catch (RuntimeException e) {
            dd.destroyForcibly();
            throw e;
        }
        try {
            if (!dd.waitFor(30, TimeUnit.SECONDS)) { // it closed its output: it is ending
                dd.destroyForcibly().waitFor();
            }
            errors.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            dd.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while reading " + label);
        }
        if (timedOut.get()) {
            throw BangerException.invalid(label + " was not read within " + timeout.toMinutes()
                    + " minutes (a FIFO or device that never ends, or a stalled filesystem?); nothing was imported");
        }
        int status = dd.exitValue();
        if (status != 0) {
            throw readFailure(label, reader, status, stderr[0] == null ? "" : new String(stderr[0], StandardCharsets.UTF_8));
        }
        if (copied.head().length < headBytes) {
            refuseBadHead(label, copied.head(), headProblem); // a short file: judged once the reader is known to have read it all
        }
        return copied;
    }

    /** What dd's (or setpriv's) complaint means for the caller. Both print "prog: ...: reason" under LC_ALL=C. */
    static BangerException readFailure(String label, Identity reader, int status, String stderr) {
        String text = stderr.strip();
        String firstLine = text.lines().findFirst().orElse("");
        if (firstLine.startsWith("setpriv:")) {
            return new BangerException(ErrorCode.HOST_FAILURE, "cannot read " + label + " as the caller (" + reader + "): " + firstLine);
        }
        String reason = firstLine.contains(": ") ? firstLine.substring(firstLine.lastIndexOf(": ") + 2) : firstLine;
        if (reason.equals("Permission denied")) {
            return new BangerException(ErrorCode.PERMISSION_DENIED, label + ": permission denied when read with your rights (" + reader
                    + "); banger reads the files you name as you, never as root: use a file you can read");
        }
        return BangerException.invalid(label + ": cannot be read with your rights (" + reader + "): "
                + (reason.isEmpty() ? "the reader exited with status " + status : reason));
    }

    /**
     * Writes {@code in} to a new file {@code dest}, leaving holes where whole blocks are zero, hashing
     * everything, and calling {@code headProblem} once the first {@code headBytes} are in. A stream
     * shorter than that is not judged here: it may have ended because the reader failed.
     */
    static Copied writeSparse(String label, InputStream in, Path dest, long maxBytes, int headBytes,
                              Function<byte[], String> headProblem) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[BUFFER];
        byte[] head = null;
        long size = 0;
        try (in) {
            Files.createFile(dest, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            try (RandomAccessFile file = new RandomAccessFile(dest.toFile(), "rw")) {
                FileChannel out = file.getChannel();
                while (true) {
                    int n = in.readNBytes(buffer, 0, buffer.length);
                    if (n == 0) {
                        break;
                    }
                    if (size + n > maxBytes) {
                        throw tooLarge(label, maxBytes);
                    }
                    if (head == null) {
                        // The first read fills the buffer unless the stream ends first, and headBytes < BUFFER.
                        head = Arrays.copyOf(buffer, Math.min(n, headBytes));
                        if (head.length == headBytes) {
                            refuseBadHead(label, head, headProblem);
                        }
                    }
                    sha256.update(buffer, 0, n);
                    writeNonZeroRuns(out, buffer, n, size);
                    size += n;
                }
                file.setLength(size); // a trailing hole
            }
            if (head == null) {
                head = new byte[0];
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "copying " + label + " to " + dest + ": " + e.getMessage(), e);
        }
        return new Copied(size, HexFormat.of().formatHex(sha256.digest()), head);
    }

    private static void refuseBadHead(String label, byte[] head, Function<byte[], String> headProblem) {
        String problem = headProblem.apply(head);
        if (problem != null) {
            throw BangerException.invalid(label + " " + problem);
        }
    }

    /** Writes the runs of blocks that are not all zeros; the zero blocks between them stay holes. */
    private static void writeNonZeroRuns(FileChannel out, byte[] buffer, int length, long position) throws IOException {
        int runStart = -1;
        for (int block = 0; block < length; block += BLOCK) {
            int end = Math.min(block + BLOCK, length);
            boolean zero = isZero(buffer, block, end);
            if (!zero && runStart < 0) {
                runStart = block;
            } else if (zero && runStart >= 0) {
                writeFully(out, buffer, runStart, block, position);
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            writeFully(out, buffer, runStart, length, position);
        }
    }

    private static final byte[] ZEROS = new byte[BLOCK];

    private static boolean isZero(byte[] buffer, int from, int to) {
        return Arrays.mismatch(buffer, from, to, ZEROS, 0, to - from) < 0;
    }

    private static void writeFully(FileChannel out, byte[] buffer, int from, int to, long position) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(buffer, from, to - from);
        long at = position + from;
        while (bytes.hasRemaining()) {
            at += out.write(bytes, at);
        }
    }

    private static BangerException tooLarge(String label, long maxBytes) {
        return BangerException.invalid(label + " is larger than the " + (maxBytes >> 20) + " MiB banger accepts for it; nothing was imported");
    }

    private static byte[] drain(InputStream in) {
        try (in) {
            byte[] kept = in.readNBytes(MAX_STDERR);
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return kept;
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static void removeQuietly(Path dest) {
        try {
            Files.deleteIfExists(dest);
        } catch (IOException ignored) {
            // the caller removes the whole work directory anyway
        }
    }
}
