package dev.banger.api;

import java.time.Instant;
import java.util.List;

/**
 * What an image is, written as {@code manifest.json} beside its files and checked by
 * {@code banger image verify}.
 *
 * @param source "built" (by banger's recipe) or "imported"
 * @param distro "debian", "void" or "unknown" for imports
 * @param initStyles how the image can boot: "fast" (banger's init as PID 1) and/or "systemd"
 */
public record ImageManifest(String name, String source, String distro, String suite, String kernelVersion,
                            String recipeVersion, Instant builtAt, long buildSeconds, List<FileEntry> files,
                            List<String> packages, List<String> initStyles) {

    /** One file of the image; {@code role} says what it is for. */
    public record FileEntry(String path, String role, long size, String sha256) {
    }

    public static final String ROLE_BZIMAGE = "kernel-bzimage";
    public static final String ROLE_VMLINUX = "kernel-elf";
    public static final String ROLE_INITRD = "initrd";
    public static final String ROLE_ROOTFS = "rootfs";

    public FileEntry file(String role) {
        return files.stream().filter(f -> f.role().equals(role)).findFirst().orElse(null);
    }
}
