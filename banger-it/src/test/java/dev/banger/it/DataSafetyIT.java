package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nothing the user made is lost behind their back, and nothing outside banger's own is touched, when
 * things go wrong around a VM without booting one: names shaped like ids, a shell standing in a VM's
 * directory, links planted in the state tree, a full disk. (The lost and damaged database, with real
 * running VMs, is {@link DatabaseLossIT}.)
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DataSafetyIT {
    private static String id(BangerHome home, String vm) {
        return home.ok("vm", "show", vm, "--json").json().get("id").asText();
    }

    private static Path vmDir(BangerHome home, String vm) {
        return Path.of(home.ok("vm", "show", vm, "--json").json().get("runtime").get("vm_dir").asText());
    }

    @Test
    void aNameShapedLikeAnotherVmsIdIsRefusedAndDeleteByIdHitsTheRightVm() {
        try (BangerHome home = BangerHome.create()) {
            home.importPlaceholderImage();
            home.ok("vm", "create", "--name", "first");
            String firstId = id(home, "first");

            BangerHome.Result clash = home.banger("vm", "create", "--name", firstId);
            assertThat(clash.exitCode()).as("%s", clash).isEqualTo(2);
            assertThat(clash.stderr()).contains("shape of a VM id").contains("choose another name");
            assertThat(home.ok("vm", "list", "--json").json().get("vms")).hasSize(1);

            home.ok("vm", "delete", firstId);
            assertThat(home.ok("vm", "list", "--json").json().get("vms")).isEmpty();
        }
    }

    @Test
    void deleteLeavesAShellStandingInTheVmDirectoryRunningAndSaysSo() throws Exception {
        try (BangerHome home = BangerHome.create()) {
            home.importPlaceholderImage();
            home.ok("vm", "create", "--name", "occupied");
            Path dir = vmDir(home, "occupied");
            Process shell = new ProcessBuilder("sleep", "300").directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                BangerHome.Result r = home.ok("vm", "delete", "--force", "occupied");
                assertThat(shell.isAlive()).as("a process banger did not start is never killed").isTrue();
                assertThat(r.stderr()).contains("warning").contains("pid " + shell.pid()).contains("sleep").contains("left it running");
                assertThat(dir).doesNotExist();
                assertThat(home.ok("vm", "list", "--json").json().get("vms")).isEmpty();
            } finally {
                shell.destroyForcibly();
            }
        }
    }

    @Test
    void aVmDirectoryReplacedByALinkIsNeverWrittenThroughAndDeleteRemovesOnlyTheLink() throws IOException {
        Path elsewhere = Files.createTempDirectory(Path.of("/tmp"), "bgr-target");
        try (BangerHome home = BangerHome.create()) {
            home.importPlaceholderImage();
            home.ok("vm", "create", "--name", "linked");
            Path dir = vmDir(home, "linked");
            BangerHome.deleteTree(dir);
            Files.createSymbolicLink(dir, elsewhere);

            BangerHome.Result start = home.banger("vm", "start", "linked");
            assertThat(start.exitCode()).as("%s", start).isNotZero();
            assertThat(start.stderr()).contains("symbolic link").contains(elsewhere.toString());
            assertThat(listing(elsewhere)).as("no key, token or disk written through the link").isEmpty();
            assertThat(home.ok("vm", "show", "linked", "--json").json().get("runtime").get("state").asText())
                    .as("refused before anything changed").isEqualTo("stopped");

            BangerHome.Result delete = home.ok("vm", "delete", "linked");
            assertThat(delete.stderr()).contains("symbolic link").contains("left alone");
            assertThat(Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
            assertThat(elsewhere).isDirectory();
        } finally {
            BangerHome.deleteTree(elsewhere);
        }
    }

    @Test
    void aLinkPlantedInsideAVmDirectoryIsRefusedNotFollowed() throws IOException {
        Path victim = Files.createTempFile(Path.of("/tmp"), "bgr-victim", ".txt");
        try (BangerHome home = BangerHome.create()) {
            Files.writeString(victim, "untouched");
            home.importPlaceholderImage();
            home.ok("vm", "create", "--name", "planted");
            Path dir = vmDir(home, "planted");
            Files.createSymbolicLink(dir.resolve("console.log"), victim);

            BangerHome.Result start = home.banger("vm", "start", "planted");
            assertThat(start.exitCode()).as("%s", start).isNotZero();
            assertThat(start.stderr()).contains("console.log -> " + victim).contains("never follows links");
            assertThat(victim).hasContent("untouched");
            home.ok("vm", "delete", "planted");
            assertThat(victim).hasContent("untouched");
        } finally {
            Files.deleteIfExists(victim);
        }
    }

    @Test
    void deleteWorksOnAFullDisk() throws Exception {
        try (BangerHome home = BangerHome.create()) {
            Path mount = home.path();
            run("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "banger-full", mount.toString());
            try {
                home.importPlaceholderImage();
                home.ok("vm", "create", "--name", "filler");
                home.ok("vm", "create", "--name", "victim");
                // Fill every free byte (dd stops at ENOSPC).
                new ProcessBuilder("dd", "if=/dev/zero", "of=" + mount.resolve("fill"), "bs=1M").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
                assertThat(Files.getFileStore(mount).getUsableSpace()).as("the disk is full").isLessThan(64 * 1024);

                BangerHome.Result create = home.banger("vm", "create", "--name", "one-more");
                assertThat(create.exitCode()).as("%s", create).isNotZero();
                assertThat(create.stderr()).containsIgnoringCase("full");

                home.ok("vm", "delete", "victim");
                JsonNode left = home.ok("vm", "list", "--json").json().get("vms");
                assertThat(left).hasSize(1);
                assertThat(left.get(0).at("/spec/name").asText()).isEqualTo("filler");
                assertThat(home.ok("vm", "list").stdout()).doesNotContain("victim");
            } finally {
                home.banger("daemon", "stop");
                run("umount", "-l", mount.toString());
            }
        }
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", argv) + ": " + out).isZero();
    }
}
