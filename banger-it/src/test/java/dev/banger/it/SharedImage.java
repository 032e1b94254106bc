package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.image.ImageRecipe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * One guest image built by banger's own recipe, once per test run, kept in banger-it/target/it-image
 * (so it lives and dies with the CI workspace) and imported into each test's BANGER_HOME. A kept image
 * is built again when what goes into the guest changed since (the agent's jar, images/, the initramfs
 * modules): tests must never run an older agent than the daemon's.
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
        String stamp = inputsStamp();
        Path stampFile = target.resolve("inputs.sha256");
        if (!Files.isRegularFile(target.resolve("manifest.json")) || !stamp.equals(readQuietly(stampFile))) {
            try (BangerHome builder = BangerHome.create()) {
                BangerHome.Result r = builder.run(List.of(builder.repoDir().resolve("bin/banger").toString(), "image", "build",
                        "--name", "it-shared"), Duration.ofMinutes(15));
                assertThat(r.exitCode()).as("building the shared test image: %s", r).isZero();
                BangerHome.deleteTree(target);
                Files.createDirectories(target.getParent());
                Files.move(builder.path().resolve("images/it-shared"), target, StandardCopyOption.ATOMIC_MOVE);
                Files.writeString(stampFile, stamp);
            } catch (IOException e) {
                throw new AssertionError("cannot keep the shared image in " + target, e);
            }
        }
        dir = target;
        return dir;
    }

    /** A digest of what the recipe puts into the guest from this checkout. */
    private static String inputsStamp() {
        Path repo = BangerHome.repo();
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            // the jar by its entries (names and contents), not its bytes: a rebuild changes its timestamps only
            try (ZipFile jar = new ZipFile(repo.resolve("banger-agent/target/banger-agent.jar").toFile())) {
                for (ZipEntry e : jar.stream().sorted(Comparator.comparing(ZipEntry::getName)).toList()) {
                    d.update(e.getName().getBytes(StandardCharsets.UTF_8));
                    try (InputStream in = jar.getInputStream(e)) {
                        d.update(in.readAllBytes());
                    }
                }
            }
            List<Path> inputs = new ArrayList<>();
            try (Stream<Path> files = Files.walk(repo.resolve("images"))) {
                files.filter(Files::isRegularFile).sorted().forEach(inputs::add);
            }
            for (Path p : inputs) {
                d.update(repo.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
                d.update(Files.readAllBytes(p));
            }
            d.update(String.join(",", ImageRecipe.INITRAMFS_MODULES).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new AssertionError("cannot digest the image's inputs (is banger-agent built?)", e);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Imports the shared image into {@code home} as {@code name} (the default image's name by default), with its
     * ELF vmlinux: the kernel QEMU boots from a built image (VmLifecycleIT boots an image with only the bzImage).
     */
    static void importInto(BangerHome home, String name) {
        Path d = dir();
        home.ok("image", "import", "--name", name, "--kernel", d.resolve("vmlinux").toString(),
                "--initrd", d.resolve("initrd.img").toString(), "--rootfs", d.resolve("rootfs.ext4").toString());
    }
}
