package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The daemon is root; a member of its socket group is not. Files named in {@code image import} are read
 * with the caller's rights, so such a member cannot have the daemon copy a root-only file (the issue's
 * reproduction: {@code --initrd /etc/shadow}) into an image, while their own files, files their groups
 * may read, and anything root names still import.
 *
 * <p>The test makes its own unprivileged user and socket group (removed afterwards) and a daemon whose
 * {@code [daemon] socket_group} is that group: the socket is 0660 root:group, exactly as with the
 * default 'banger' group, without touching a group other tests or the host may use. The user runs the
 * real {@code bin/banger} through {@code setpriv --init-groups}, so the kernel's peer credentials name
 * them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ImageImportPrivilegeIT {
    private final String suffix = HexFormat.of().toHexDigits((int) (System.nanoTime() & 0xffffff)).substring(2);
    private final String group = "bgit" + suffix;
    private final String user = "bgimp" + suffix;
    private BangerHome home;
    private Path own;
    private Path rootOnly;

    @BeforeAll
    void userGroupAndDaemon() throws IOException {
        root(List.of("groupadd", group));
        root(List.of("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                "--user-group", "--groups", group, user));
        home = BangerHome.create();
        Files.writeString(home.configFile(), "[daemon]\nsocket_group = \"" + group + "\"\n");
        home.startDaemon();
        // The member must reach the socket: the home (0700 by default) becomes traversable, not listable.
        Files.setPosixFilePermissions(home.path(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(home.path().resolve("run"), PosixFilePermissions.fromString("rwx--x--x"));
        assertThat(Files.getAttribute(home.socket(), "posix:group").toString()).isEqualTo(group);

        // The member's own files, in a directory only they may read.
        own = Files.createDirectory(home.path().resolve("own"));
        writeImageFiles(own);
        root(List.of("chown", "-R", user + ":" + user, own.toString()));
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwx------"));
        // The same files as root's, mode 0600, where the member may look.
        rootOnly = Files.createDirectory(home.path().resolve("root-only"));
        writeImageFiles(rootOnly);
        Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Stream<Path> files = Files.list(rootOnly)) {
            for (Path f : files.toList()) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    @AfterAll
    void cleanUp() {
        try {
            if (home != null) {
                home.close();
            }
        } finally {
            run(List.of("userdel", user), Duration.ofSeconds(30));
            run(List.of("groupdel", user), Duration.ofSeconds(30)); // the private group, if userdel left it
            run(List.of("groupdel", group), Duration.ofSeconds(30));
            assertThat(run(List.of("getent", "passwd", user), Duration.ofSeconds(30)).exitCode()).as("test user removed").isEqualTo(2);
            assertThat(run(List.of("getent", "group", group), Duration.ofSeconds(30)).exitCode()).as("test group removed").isEqualTo(2);
        }
    }

    // ---- the issue's reproduction, and its siblings

    @Test
    void aMemberCannotImportRootsShadowFileAsAnInitrd() throws IOException {
        BangerHome.Result r = asMember("image", "import", "--name", "stolen", "--kernel", own.resolve("vmlinuz").toString(),
                "--rootfs", own.resolve("rootfs.ext4").toString(), "--initrd", "/etc/shadow");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("--initrd /etc/shadow: permission denied when read with your rights (uid ")
                .contains("never as root");
        nothingImported("stolen");

        // The same request over the socket: the error kind is PERMISSION_DENIED.
        JsonNode reply = rpcAsMember("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"image.import\",\"params\":{\"name\":\"stolen\","
                + "\"kernel\":\"" + own.resolve("vmlinuz") + "\",\"rootfs\":\"" + own.resolve("rootfs.ext4")
                + "\",\"initrd\":\"/etc/shadow\"}}");
        assertThat(reply.at("/error/data/kind").asText()).as("%s", reply).isEqualTo("PERMISSION_DENIED");
        assertThat(reply.at("/error/code").asInt()).isEqualTo(-32016);
        nothingImported("stolen");
    }

    @Test
    void aMemberCannotImportRootOnlyKernelsOrRootFilesystems() throws IOException {
        for (String role : List.of("kernel", "rootfs", "initrd")) {
            Path kernel = (role.equals("kernel") ? rootOnly : own).resolve("vmlinuz");
            Path rootfs = (role.equals("rootfs") ? rootOnly : own).resolve("rootfs.ext4");
            Path initrd = (role.equals("initrd") ? rootOnly : own).resolve("initrd.img");
            BangerHome.Result r = asMember("image", "import", "--name", "stolen-" + role, "--kernel", kernel.toString(),
                    "--rootfs", rootfs.toString(), "--initrd", initrd.toString());
            assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
            assertThat(r.stderr()).contains("--" + role + " " + rootOnly + "/").contains("permission denied when read with your rights");
            nothingImported("stolen-" + role);
        }
    }

    @Test
    void aMemberImportsTheirOwnFiles() throws Exception {
        BangerHome.Result r = asMember("image", "import", "--name", "mine", "--kernel", own.resolve("vmlinuz").toString(),
                "--rootfs", own.resolve("rootfs.ext4").toString(), "--initrd", own.resolve("initrd.img").toString(), "--json");
        assertThat(r.exitCode()).as("%s", r).isZero();
        JsonNode files = home.ok("image", "show", "mine", "--json").json().at("/manifest/files");
        assertThat(files.findValuesAsText("path")).containsExactly("vmlinuz", "rootfs.ext4", "initrd.img");
        assertThat(files.get(2).get("sha256").asText()).isEqualTo(sha256(own.resolve("initrd.img")));
        assertThat(Files.mismatch(own.resolve("rootfs.ext4"), home.path().resolve("images/mine/rootfs.ext4"))).isEqualTo(-1);
        home.ok("image", "verify", "mine");
        home.ok("image", "rm", "mine");
    }

    @Test
    void filesTheMembersGroupsMayReadImport() throws Exception {
        // root:GROUP 0640: readable through the supplementary group only (setpriv --init-groups gives it).
        Path shared = Files.createDirectory(home.path().resolve("group-readable"));
        writeImageFiles(shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        root(List.of("chgrp", "-R", group, shared.toString()));
        root(List.of("chmod", "0640", shared.resolve("vmlinuz").toString(), shared.resolve("rootfs.ext4").toString(),
                shared.resolve("initrd.img").toString()));
        BangerHome.Result r = asMember("image", "import", "--name", "shared", "--kernel", shared.resolve("vmlinuz").toString(),
                "--rootfs", shared.resolve("rootfs.ext4").toString(), "--initrd", shared.resolve("initrd.img").toString());
        assertThat(r.exitCode()).as("%s", r).isZero();
        home.ok("image", "rm", "shared");
    }

    @Test
    void rootImportsWhatItCanReadAndShadowIsStillNoInitramfs() throws Exception {
        home.ok("image", "import", "--name", "roots", "--kernel", rootOnly.resolve("vmlinuz").toString(),
                "--rootfs", rootOnly.resolve("rootfs.ext4").toString(), "--initrd", rootOnly.resolve("initrd.img").toString());
        home.ok("image", "rm", "roots");

        BangerHome.Result r = home.banger("image", "import", "--name", "shadow", "--kernel", rootOnly.resolve("vmlinuz").toString(),
                "--rootfs", rootOnly.resolve("rootfs.ext4").toString(), "--initrd", "/etc/shadow");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.stderr()).contains("--initrd /etc/shadow is not an initramfs the kernel can unpack").contains("expected a cpio archive");
        nothingImported("shadow");
    }

    @Test
    void aMemberCannotBuildFromAFileMirror() throws IOException {
        BangerHome.Result r = asMember("image", "build", "--name", "local", "--mirror", "file:///srv/mirror");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("a file:// mirror is read by the daemon as root, so only root may build from one");
        nothingImported("local");
    }

    // ---- helpers

    /** An image's files that pass import's checks: a bzImage setup header, an empty ext4, a gzipped newc cpio. */
    private void writeImageFiles(Path dir) throws IOException {
        Files.write(dir.resolve("vmlinuz"), BangerHome.placeholderKernel());
        BangerHome.Result mkfs = run(List.of("mkfs.ext4", "-q", "-F", dir.resolve("rootfs.ext4").toString(), "8M"), Duration.ofSeconds(60));
        assertThat(mkfs.exitCode()).as("%s", mkfs).isZero();
        Files.write(dir.resolve("initrd.img"), emptyInitramfs());
    }

    /** A newc cpio holding only its trailer, gzipped: the smallest initramfs the kernel unpacks. */
    static byte[] emptyInitramfs() throws IOException {
        String name = "TRAILER!!!\0";
        StringBuilder header = new StringBuilder("070701");
        long[] fields = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, name.length(), 0}; // ino mode uid gid nlink mtime size maj min rmaj rmin namesize check
        for (long f : fields) {
            header.append(String.format("%08X", f));
        }
        header.append(name);
        while (header.length() % 512 != 0) {
            header.append('\0');
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(header.toString().getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private void nothingImported(String name) throws IOException {
        assertThat(home.banger("image", "show", name).exitCode()).as("image %s exists", name).isEqualTo(1);
        Path images = home.path().resolve("images");
        try (Stream<Path> entries = Files.list(images)) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).as("images/ holds nothing of %s", name)
                    .noneMatch(e -> e.equals(name) || e.startsWith(".build-" + name + "-"));
        }
    }

    private List<String> asMemberArgv(List<String> command) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"));
        argv.addAll(command);
        return argv;
    }

    private BangerHome.Result asMember(String... args) {
        List<String> command = new ArrayList<>(List.of(home.repoDir().resolve("bin/banger").toString()));
        command.addAll(List.of(args));
        return home.run(asMemberArgv(command), BangerHome.CLI_TIMEOUT);
    }

    /** One JSON-RPC request on the daemon's socket from a process of the member's (socat), its reply. */
    private JsonNode rpcAsMember(String request) throws IOException {
        Process p = new ProcessBuilder(asMemberArgv(List.of("socat", "-t", "30", "-", "UNIX-CONNECT:" + home.socket())))
                .redirectErrorStream(true).start();
        p.getOutputStream().write((request + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        String line;
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            line = in.readLine();
        } finally {
            p.getOutputStream().close();
            p.destroy();
        }
        assertThat(line).as("a reply").isNotNull();
        return BangerHome.JSON.readTree(line);
    }

    private BangerHome.Result run(List<String> command, Duration timeout) {
        // BangerHome.run needs a home; clean-up may run without one.
        if (home != null) {
            return home.run(command, timeout);
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
            return new BangerHome.Result(command, p.exitValue(), out, "", Duration.ZERO);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("cannot run " + command, e);
        }
    }

    private void root(List<String> command) {
        BangerHome.Result r = run(command, Duration.ofSeconds(60));
        assertThat(r.exitCode()).as("%s", r).isZero();
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
