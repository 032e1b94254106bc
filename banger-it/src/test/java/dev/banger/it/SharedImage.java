package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * One guest image built by banger's own recipe, once per test run, kept in banger-it/target/it-image
 * (so it lives and dies with the CI workspace) and imported into each test's BANGER_HOME.
 */
final class SharedImage {
    private static Path dir;

    private SharedImage() {
    }

    static synchronized Path dir() {
        if (dir != null) {
            return dir;
        }
        Path target = BangerHome.repo().resolve("banger-it/target/it-image");
        if (!Files.isRegularFile(target.resolve("manifest.json"))) {
            try (BangerHome builder = BangerHome.create()) {
                BangerHome.Result r = builder.run(List.of(builder.repoDir().resolve("bin/banger").toString(), "image", "build",
                        "--name", "it-shared"), Duration.ofMinutes(15));
                assertThat(r.exitCode()).as("building the shared test image: %s", r).isZero();
                BangerHome.deleteTree(target);
                Files.createDirectories(target.getParent());
                Files.move(builder.path().resolve("images/it-shared"), target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new AssertionError("cannot keep the shared image in " + target, e);
            }
        }
        dir = target;
        return dir;
    }

    /** Imports the shared image into {@code home} as {@code name} (the default image's name by default). */
    static void importInto(BangerHome home, String name) {
        Path d = dir();
        home.ok("image", "import", "--name", name, "--kernel", d.resolve("vmlinuz").toString(),
                "--initrd", d.resolve("initrd.img").toString(), "--rootfs", d.resolve("rootfs.ext4").toString());
    }
}
