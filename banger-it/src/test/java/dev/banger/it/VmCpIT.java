package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@code vm cp} end to end with a real VM (QEMU, TCG; the agent over its virtio-serial port): a tree with
 * odd modes (setuid included), exact mtimes, symbolic links and a 256 MiB file goes into the VM and comes
 * back; the guest's own {@code find} and {@code sha256sum} describe what arrived, the host's what came back.
 * Sources that are FIFOs, and destinations whose directory is missing, are refused with a clear message.
 * The 256 MiB copies take most of the class's time under TCG (about half a minute each way here).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class VmCpIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration CLI = Duration.ofMinutes(1);
    /** A 256 MiB copy under TCG, on a loaded machine, with room to spare. */
    private static final Duration BIG = Duration.ofMinutes(5);
    private static final String VM = "cp-test";
    private NetnsHome ns;
    private Path dir;
    private Path tree;
    private String bigSha256;

    @BeforeAll
    void start() throws Exception {
        ns = NetnsHome.withSharedImage(null);
        ns.ok(BOOT, "vm", "run", "--name", VM, "--", "true");
        dir = Files.createTempDirectory(Path.of("/tmp"), "bcp");
        tree = makeTree(dir.resolve("tree"));
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (ns != null) {
            ns.close();
        }
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Directories 0750 and 0700, files 0640, 04755 and empty, a relative and an absolute link, 256 MiB of random data. */
    private Path makeTree(Path top) throws Exception {
        Files.createDirectories(top.resolve("sub/deeper"));
        Files.createDirectory(top.resolve("private"));
        Files.writeString(top.resolve("sub/notes.txt"), "notes\n");
        Files.writeString(top.resolve("private/secret"), "s3cret\n");
        Files.writeString(top.resolve("tool"), "#!/bin/sh\necho tool\n");
        Files.write(top.resolve("empty"), new byte[0]);
        Files.createSymbolicLink(top.resolve("sub/to-notes"), Path.of("notes.txt"));
        Files.createSymbolicLink(top.resolve("abs-link"), Path.of("/etc/hostname"));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 20];
        SplittableRandom random = new SplittableRandom(42);
        try (OutputStream out = Files.newOutputStream(top.resolve("sub/deeper/big.bin"))) {
            for (int i = 0; i < 256; i++) {
                for (int j = 0; j < chunk.length; j += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[j + k] = (byte) (v >>> (8 * k));
                    }
                }
                sha.update(chunk);
                out.write(chunk);
            }
        }
        bigSha256 = HexFormat.of().formatHex(sha.digest());
        mode(top.resolve("sub/notes.txt"), 0640);
        mode(top.resolve("tool"), 04755);
        mode(top.resolve("private"), 0700);
        mode(top.resolve("sub"), 0750);
        try (Stream<Path> walk = Files.walk(top)) {
            int i = 0;
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(FileTime.from(Instant.ofEpochSecond(1_600_000_000L + 3600L * i, 123_456_789L * (i % 3))), null, null);
                i++;
            }
        }
        return top;
    }

    private static void mode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    /** {@code find -printf '%P|%y|%m|%T@|%l'} of a host tree, computed here; {@code modeMask} applied to files and directories. */
    private static Map<String, String> describe(Path root, int modeMask) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                boolean link = Files.isSymbolicLink(p);
                String type = link ? "l" : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "d" : "f";
                Instant t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
                String rel = root.relativize(p).toString();
                out.put(rel, type + "|" + Integer.toOctalString(link ? 0777 : mode & 07777 & modeMask) + "|" + t.getEpochSecond() + "."
                        + String.format("%09d", t.getNano()) + "0|" + (link ? Files.readSymbolicLink(p) : ""));
            }
        }
        return out;
    }

    /** The guest's own description of a tree in the VM. */
    private Map<String, String> describeInVm(String root) {
        Map<String, String> out = new TreeMap<>();
        for (String line : ns.ok(CLI, "vm", "exec", VM, "--", "find", root, "-printf", "%P|%y|%m|%T@|%l\\n").stdout().lines().toList()) {
            int bar = line.indexOf('|');
            out.put(line.substring(0, bar), line.substring(bar + 1));
        }
        return out;
    }

    private static String sha256(Path p) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] b = new byte[1 << 20];
            for (int n; (n = in.read(b)) > 0; ) {
                sha.update(b, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void aTreeGoesInAndComesBackWithItsModesMtimesLinksAndBytes() throws Exception {
        ns.ok(BIG, "vm", "cp", tree.toString(), VM + ":/work/");
        assertThat(describeInVm("/work/tree")).as("the guest's find of what arrived").isEqualTo(describe(tree, 07777));
        String sums = ns.ok(CLI, "vm", "exec", VM, "--", "sha256sum", "/work/tree/sub/deeper/big.bin", "/work/tree/private/secret",
                "/work/tree/tool").stdout();
        assertThat(sums).contains(bigSha256 + "  /work/tree/sub/deeper/big.bin")
                .contains(sha256(tree.resolve("private/secret")) + "  /work/tree/private/secret")
                .contains(sha256(tree.resolve("tool")) + "  /work/tree/tool");
        assertThat(ns.ok(CLI, "vm", "exec", VM, "--", "find", "/work", "-name", ".banger-cp-*").stdout()).as("no temporary file left").isEmpty();

        Path back = Files.createDirectory(dir.resolve("back"));
        ns.ok(BIG, "vm", "cp", VM + ":/work/tree", back.toString());
        assertThat(describe(back.resolve("tree"), 0777)).as("what came back; setuid is never set on the host by a guest")
                .isEqualTo(describe(tree, 0777));
        assertThat(Files.getAttribute(back.resolve("tree/tool"), "unix:mode")).isEqualTo(0100755);
        assertThat(sha256(back.resolve("tree/sub/deeper/big.bin"))).isEqualTo(bigSha256);
        assertThat(back.resolve("tree/private/secret")).hasContent("s3cret");
    }

    @Test
    void aFileLandsUnderANewNameOrInsideADirectory() {
        ns.ok(CLI, "vm", "cp", tree.resolve("sub/notes.txt").toString(), VM + ":/root/renamed.txt");
        ns.ok(CLI, "vm", "cp", tree.resolve("sub/notes.txt").toString(), VM + ":");
        assertThat(ns.ok(CLI, "vm", "exec", VM, "--", "cat", "/root/renamed.txt", "/root/notes.txt").stdout()).isEqualTo("notes\nnotes\n");
    }

    @Test
    void fifosAreRefusedAsSourcesOnBothSides() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(ns.home.run(List.of("mkfifo", fifo.toString()), CLI).exitCode()).isZero();
        BangerHome.Result in = ns.banger(CLI, "vm", "cp", fifo.toString(), VM + ":/tmp/");
        assertThat(in.exitCode()).as("%s", in).isEqualTo(1);
        assertThat(in.stderr()).contains("cannot copy " + fifo + ": it is a FIFO (only regular files, directories and symbolic links are copied)");

        ns.ok(CLI, "vm", "exec", VM, "--", "mkfifo", "/tmp/guest-fifo");
        BangerHome.Result out = ns.banger(CLI, "vm", "cp", VM + ":/tmp/guest-fifo", dir.toString());
        assertThat(out.exitCode()).as("%s", out).isEqualTo(1);
        assertThat(out.stderr()).contains("VM cp-test: cannot copy /tmp/guest-fifo: it is a FIFO");
        assertThat(dir.resolve("guest-fifo")).doesNotExist();
    }

    @Test
    void aMissingDirectoryIsAClearErrorOnEitherSide() {
        BangerHome.Result in = ns.banger(CLI, "vm", "cp", tree.resolve("empty").toString(), VM + ":/no/such/dir/empty");
        assertThat(in.exitCode()).as("%s", in).isEqualTo(1);
        assertThat(in.stderr().strip()).isEqualTo("banger: VM cp-test: no such directory: /no/such/dir (create it first)");
        BangerHome.Result out = ns.banger(CLI, "vm", "cp", VM + ":/etc/hostname", dir.resolve("no/such/dir/hostname").toString());
        assertThat(out.exitCode()).as("%s", out).isEqualTo(1);
        assertThat(out.stderr().strip()).isEqualTo("banger: no such directory: " + dir.resolve("no/such/dir") + " (create it first)");
        BangerHome.Result missing = ns.banger(CLI, "vm", "cp", VM + ":/nonexistent", dir.toString());
        assertThat(missing.stderr().strip()).isEqualTo("banger: VM cp-test: no such file or directory: /nonexistent");
        BangerHome.Result neither = ns.banger(CLI, "vm", "cp", "a", "b");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.stderr()).contains("one of SRC and DST must be in a VM, written NAME:PATH");
        assertThat(ns.banger(CLI, "vm", "exec", VM, "--", "test", "-e", "/no").exitCode()).as("nothing was made on the way").isEqualTo(1);
    }
}
