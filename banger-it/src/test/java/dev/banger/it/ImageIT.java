package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Guest images for real: one Debian image built by banger's recipe from the host's mirror (a few
 * minutes), verified, listed, protected while a VM uses it, imported again, deleted; and builds that
 * fail or are interrupted leave nothing listed and nothing on disk.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ImageIT {
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);
    private BangerHome home;

    @BeforeAll
    void startHome() {
        home = BangerHome.create();
    }

    @AfterAll
    void cleanUp() {
        home.close();
    }

    private BangerHome.Result banger(Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add(home.repoDir().resolve("bin/banger").toString());
        command.addAll(List.of(args));
        return home.run(command, timeout);
    }

    private List<String> imagesDirEntries() throws IOException {
        Path images = home.path().resolve("images");
        if (!Files.isDirectory(images)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(images)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    @Order(1)
    void buildsVerifiesAndListsTheDefaultImage() throws Exception {
        BangerHome.Result build = banger(BUILD_TIMEOUT, "image", "build", "--name", "it-debian", "--json");
        assertThat(build.exitCode()).as("%s", build).isZero();
        JsonNode image = build.json();
        assertThat(image.at("/manifest/name").asText()).isEqualTo("it-debian");
        assertThat(image.at("/manifest/kernel_version").asText()).matches("\\d+\\.\\d+\\.\\d+-\\d+-cloud-amd64");
        assertThat(image.at("/manifest/packages").size()).isGreaterThan(50);
        assertThat(image.at("/disk_usage_bytes").asLong()).as("du of the image").isLessThan(450L << 20);
        // Progress went to stderr, one line per step when not on a terminal.
        assertThat(build.stderr()).contains("debootstrap").contains("initramfs").contains("rootfs");
        assertThat(imagesDirEntries()).containsExactly("it-debian");

        BangerHome.Result verify = home.ok("image", "verify", "it-debian", "--json");
        JsonNode checks = verify.json().get("checks");
        for (JsonNode c : checks) {
            assertThat(c.get("ok").asBoolean()).as(c.toString()).isTrue();
        }
        assertThat(checks.toString()).contains("e2fsck").contains("initramfs contents").contains("/usr/sbin/sshd")
                .contains("/usr/bin/ss").contains("banger-agent.jar").contains("/sbin/banger-init");

        JsonNode list = home.ok("image", "list", "--json").json().get("images");
        assertThat(list).hasSize(1);
        assertThat(home.ok("image", "list").stdout()).startsWith("NAME").contains("it-debian");
        assertThat(home.ok("image", "show", "it-debian").stdout()).contains("rootfs.ext4").contains("vmlinux");
    }

    @Test
    @Order(2)
    void aTamperedImageFailsVerification() throws Exception {
        Path initrd = home.path().resolve("images/it-debian/initrd.img");
        byte[] original = Files.readAllBytes(initrd);
        try {
            Files.write(initrd, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
            BangerHome.Result verify = home.banger("image", "verify", "it-debian");
            assertThat(verify.exitCode()).isEqualTo(1);
            assertThat(verify.stdout()).contains("file initrd.img").contains("FAIL").contains("FAILED verification");
        } finally {
            Files.write(initrd, original);
        }
        home.ok("image", "verify", "it-debian");
    }

    @Test
    @Order(3)
    void anImageInUseCannotBeDeletedAndImportWorks() throws Exception {
        home.ok("vm", "create", "--name", "user", "--image", "it-debian");
        BangerHome.Result refused = home.banger("image", "rm", "it-debian");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("used by VM user");
        home.ok("vm", "delete", "user");

        Path dir = home.path().resolve("images/it-debian");
        BangerHome.Result imported = home.ok("image", "import", "--name", "it-imported", "--kernel", dir.resolve("vmlinux").toString(),
                "--rootfs", dir.resolve("rootfs.ext4").toString(), "--initrd", dir.resolve("initrd.img").toString(), "--json");
        assertThat(imported.json().at("/manifest/source").asText()).isEqualTo("imported");
        assertThat(imported.json().at("/manifest/files/0/role").asText()).isEqualTo("kernel-elf");
        home.ok("image", "verify", "it-imported");

        BangerHome.Result notAKernel = home.banger("image", "import", "--name", "bad", "--kernel", dir.resolve("manifest.json").toString(),
                "--rootfs", dir.resolve("rootfs.ext4").toString());
        assertThat(notAKernel.exitCode()).isEqualTo(2);
        assertThat(notAKernel.stderr()).contains("neither a Linux bzImage nor an x86-64 ELF");

        home.ok("image", "rm", "it-imported");
        home.ok("image", "rm", "it-debian");
        assertThat(home.ok("image", "list", "--json").json().get("images")).isEmpty();
        assertThat(imagesDirEntries()).isEmpty();
    }

    @Test
    @Order(4)
    void badBuildRequestsAreRefusedBeforeAnythingStarts() throws Exception {
        assertThat(home.banger("image", "build", "--size", "1M").exitCode()).isEqualTo(2);
        assertThat(home.banger("image", "build", "--packages", "vim;rm").stderr()).contains("not a Debian package name");
        assertThat(home.banger("image", "build", "gentoo").stderr()).contains("unknown distro 'gentoo'");
        assertThat(home.banger("image", "build", "--suite", "../x").exitCode()).isEqualTo(2);
        assertThat(home.banger("image", "verify", "nope").stderr()).contains("no image named 'nope'");
        assertThat(imagesDirEntries()).isEmpty();
    }

    @Test
    @Order(5)
    void voidFailsFastWhenItsMirrorIsUnreachableAndLeavesNothing() throws Exception {
        // A closed local port stands in for the Void mirror these machines cannot reach.
        BangerHome.Result r = banger(Duration.ofMinutes(2), "image", "build", "void", "--mirror", "http://127.0.0.1:9/");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.stderr()).contains("127.0.0.1:9");
        assertThat(r.took()).isLessThan(Duration.ofSeconds(60));
        assertThat(home.ok("image", "list", "--json").json().get("images")).isEmpty();
        assertThat(imagesDirEntries()).isEmpty();
    }

    @Test
    @Order(6)
    void anInterruptedBuildIsNeverListedAndIsCleanedUp() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.repoDir().resolve("bin/banger").toString(), "image", "build", "--name", "cut")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("BANGER_HOME", home.path().toString());
        Process cli = pb.start();
        // Wait until debootstrap is really working in the build directory, then walk away (Ctrl-C closes the socket).
        assertThat(BangerHome.await(Duration.ofMinutes(2), () -> debootstrapRunning())).as("debootstrap started").isTrue();
        assertThat(imagesDirEntries()).anyMatch(e -> e.startsWith(".build-cut-"));
        cli.destroy();
        cli.waitFor(30, TimeUnit.SECONDS);
        assertThat(BangerHome.await(Duration.ofSeconds(60), () -> !debootstrapRunning())).as("debootstrap killed").isTrue();
        assertThat(BangerHome.await(Duration.ofSeconds(60), () -> {
            try {
                return imagesDirEntries().isEmpty();
            } catch (IOException e) {
                return false;
            }
        })).as("build directory removed: %s", imagesDirEntries()).isTrue();
        assertThat(home.ok("image", "list", "--json").json().get("images")).isEmpty();
        assertThat(home.path().resolve("logs")).isDirectoryContaining(p -> p.getFileName().toString().startsWith("image-build-cut-"));
    }

    @Test
    @Order(7)
    void aDaemonKilledMidBuildLeavesDebrisTheNextDaemonSweeps() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.repoDir().resolve("bin/banger").toString(), "image", "build", "--name", "killed")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("BANGER_HOME", home.path().toString());
        Process cli = pb.start();
        assertThat(BangerHome.await(Duration.ofMinutes(2), () -> debootstrapRunning())).as("debootstrap started").isTrue();
        for (ProcessHandle d : home.daemons()) {
            d.destroyForcibly();
        }
        cli.waitFor(60, TimeUnit.SECONDS);
        // The kernel kills debootstrap with the daemon (PR_SET_PDEATHSIG).
        assertThat(BangerHome.await(Duration.ofSeconds(30), () -> !debootstrapRunning())).as("debootstrap died with bangerd").isTrue();
        home.ok("image", "list"); // restarts the daemon, which sweeps the unfinished build
        assertThat(imagesDirEntries()).isEmpty();
    }

    private boolean debootstrapRunning() {
        String marker = home.path().resolve("images").toString();
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains("debootstrap") && c.contains(marker))
                .orElse(false));
    }
}
