package dev.banger.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.Params;
import dev.banger.core.image.InitramfsFormats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageChecks#importInto} on real files: what a caller may not read is refused, what is not a
 * kernel, an ext4 or an initramfs is refused, and real archives made by the usual tools pass.
 */
@Tag("privileged")
class ImageImportTest {
    private static final CallerFiles.Identity NOBODY = new CallerFiles.Identity(65534, 65534, true);
    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    @TempDir
    Path tmp;
    private Path kernel;
    private Path rootfs;
    private Path work;

    @BeforeEach
    void files() throws IOException {
        assumeTrue(HostInfo.isRoot(), "reading as another user needs root");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] bz = new byte[4096];
        bz[0x1f1] = 4;
        System.arraycopy("HdrS".getBytes(), 0, bz, 0x202, 4);
        bz[0x206] = 0x0f;
        bz[0x207] = 0x02;
        kernel = Files.write(tmp.resolve("vmlinuz"), bz);
        rootfs = tmp.resolve("rootfs.ext4");
        assertThat(HostCommand.run(List.of("mkfs.ext4", "-q", "-F", rootfs.toString(), "8M"), TIMEOUT).ok()).isTrue();
        work = Files.createDirectory(tmp.resolve("work"));
    }

    private Path initramfs(String compressor, String... args) throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("tree"));
        Files.writeString(tree.resolve("init"), "#!/bin/sh\n");
        Path cpio = tmp.resolve("initrd.cpio");
        HostCommand.Output made = HostCommand.run(List.of("sh", "-c", "cd \"$1\" && echo init | cpio -o -H newc > \"$2\"", "sh",
                tree.toString(), cpio.toString()), TIMEOUT);
        assertThat(made.ok()).as(made.text()).isTrue();
        if (compressor == null) {
            return cpio;
        }
        Path out = tmp.resolve("initrd." + compressor);
        // compressor ARGS < cpio > out, the file names as positional parameters
        List<String> command = new java.util.ArrayList<>(List.of("sh", "-c", "f=$1; o=$2; shift 2; \"$@\" < \"$f\" > \"$o\"", "sh",
                cpio.toString(), out.toString(), compressor));
        command.addAll(List.of(args));
        HostCommand.Output z = HostCommand.run(command, TIMEOUT);
        assertThat(z.ok()).as(z.text()).isTrue();
        return out;
    }

    private Params.ImageImport request(Path initrd) {
        return new Params.ImageImport("imp", kernel.toString(), rootfs.toString(), initrd == null ? null : initrd.toString());
    }

    @Test
    void importsWithTheCallersRightsAndRecordsWhatWasCopied() throws IOException {
        Path initrd = initramfs("gzip", "-9");
        ImageChecks.importInto(work, "imp", request(initrd), Instant.EPOCH, NOBODY);
        ImageManifest m = ImageBuilder.readManifest(work);
        assertThat(m.files()).extracting(ImageManifest.FileEntry::path).containsExactly("vmlinuz", "rootfs.ext4", "initrd.img");
        assertThat(m.file(ImageManifest.ROLE_INITRD).sha256()).isEqualTo(ImageBuilder.sha256(initrd));
        assertThat(ImageChecks.verify(work, "imp")).allSatisfy(c -> assertThat(c.ok()).as(c.toString()).isTrue());
    }

    @Test
    void aRootOnlyInitrdIsRefusedForOthersAndNotAnInitramfsForRoot() throws IOException {
        Path shadow = Path.of("/etc/shadow");
        assumeTrue(Files.isRegularFile(shadow));
        Path asNobody = Files.createDirectory(tmp.resolve("as-nobody"));
        assertThatThrownBy(() -> ImageChecks.importInto(asNobody, "imp", request(shadow), Instant.EPOCH, NOBODY))
                .isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.PERMISSION_DENIED);
                    assertThat(e.getMessage()).contains("--initrd /etc/shadow: permission denied when read with your rights");
                });
        assertThat(asNobody.resolve("initrd.img")).doesNotExist();
        Path asRoot = Files.createDirectory(tmp.resolve("as-root"));
        assertThatThrownBy(() -> ImageChecks.importInto(asRoot, "imp", request(shadow), Instant.EPOCH, CallerFiles.Identity.ROOT))
                .isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).startsWith("--initrd /etc/shadow is not an initramfs the kernel can unpack");
                });
        assertThat(asRoot.resolve("initrd.img")).doesNotExist();
    }

    @Test
    void kernelsAndRootfsMustBeWhatTheyClaim() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes"), "hello\n");
        byte[] oldProtocol = Files.readAllBytes(kernel);
        oldProtocol[0x206] = 0x04;
        Path old = Files.write(tmp.resolve("old-vmlinuz"), oldProtocol);
        assertThat(refusal(text, rootfs)).contains("--kernel " + text + " is not a kernel banger can boot: neither a Linux bzImage nor an x86-64 ELF");
        assertThat(refusal(old, rootfs)).contains("a bzImage header, but boot protocol 2.04 is older than the 2.06");
        assertThat(refusal(kernel, text)).contains("--rootfs " + text + " is not an ext2/3/4 filesystem image");
        assertThat(refusal(Path.of("vmlinuz"), rootfs)).contains("--kernel must be an absolute path");
    }

    private String refusal(Path kernelFile, Path rootfsFile) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "work");
        try {
            ImageChecks.importInto(dir, "imp", new Params.ImageImport("imp", kernelFile.toString(), rootfsFile.toString(), null),
                    Instant.EPOCH, NOBODY);
            throw new AssertionError("imported " + kernelFile + " and " + rootfsFile);
        } catch (BangerException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(dir).as("nothing kept of a refused file").isDirectoryNotContaining(p -> !p.getFileName().toString().equals("vmlinuz"));
            return e.getMessage();
        }
    }

    @Test
    void realInitramfsArchivesPassInEveryFormatTheKernelReads() throws IOException {
        Map<String, String[]> compressors = Map.of("gzip", new String[] {"-c"}, "bzip2", new String[] {"-c"},
                "xz", new String[] {"-c", "--check=crc32"}, "lzma", new String[] {"-c"}, "lz4", new String[] {"-l", "-c"},
                "zstd", new String[] {"-c", "-q"});
        assertThat(InitramfsFormats.identify(Files.readAllBytes(initramfs(null))).format()).isEqualTo("cpio newc");
        for (Map.Entry<String, String[]> c : compressors.entrySet()) {
            Path archive = initramfs(c.getKey(), c.getValue());
            assertThat(InitramfsFormats.identify(Files.readAllBytes(archive)).format()).as(c.getKey())
                    .isEqualTo(c.getKey() + " compressed");
        }
    }
}
