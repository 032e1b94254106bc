package dev.banger.core.image;

import java.util.List;

/**
 * The facts of banger's image recipe in one place: what goes into a Debian image, which kernel modules
 * the initramfs loads, the file names of a published image, the build's steps. The shell parts of the
 * recipe live in images/ in the repository (see images/README.md for the guest contract).
 */
public final class ImageRecipe {
    /** Bumped whenever the recipe changes what an image contains. */
    public static final String RECIPE_VERSION = "1";

    public static final String DEFAULT_SUITE = "bookworm";
    public static final long DEFAULT_SIZE_MIB = 2048;
    public static final long MIN_SIZE_MIB = 512;
    public static final long MAX_SIZE_MIB = 256 * 1024;

    /** The default image's name: what {@code vm create} uses unless told otherwise. */
    public static String defaultName(String suite) {
        return "debian-" + suite;
    }

    /**
     * Installed by debootstrap into every Debian image (on top of --variant=minbase). busybox-static, not
     * busybox: the fast boot's scripts run in its shell, which (static build, "standalone shell") runs
     * mount, ln, mkdir, ip, ... as applets instead of starting programs, half a second of a TCG boot.
     * openssl: the command-line tool (its library comes with openssh anyway), for TLS work in a dev VM.
     */
    public static final List<String> DEBIAN_PACKAGES = List.of(
            "systemd-sysv", "udev", "kmod", "openssh-server", "iproute2", "ca-certificates", "busybox-static", "openssl");

    /**
     * Loaded by the initramfs, with their dependencies, in modules.dep order. virtio-mmio only: microvm and
     * Firecracker have no PCI bus. vfat and the two code pages its mount asks for (Debian's defaults, 437 and
     * ascii) are here because the config drive is FAT: left to the kernel, mounting it starts modprobe three
     * times, about 0.2 s of the boot under TCG, while busybox's insmod in the initramfs is cheap.
     */
    public static final List<String> INITRAMFS_MODULES = List.of(
            "virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "vmw_vsock_virtio_transport", "overlay", "vfat", "nls_cp437",
            "nls_ascii");

    /** The cloud kernel: small, made for VMs. Its metapackage points at the current versioned package. */
    public static final String KERNEL_METAPACKAGE = "linux-image-cloud-amd64";

    // Files of a published image.
    public static final String BZIMAGE = "vmlinuz";
    public static final String VMLINUX = "vmlinux";
    public static final String INITRD = "initrd.img";
    public static final String ROOTFS = "rootfs.ext4";
    public static final String MANIFEST = "manifest.json";
    public static final String BUILD_LOG = "build.log";

    /** Where the guest finds banger's pieces inside the root filesystem. */
    public static final String GUEST_INIT = "/sbin/banger-init";
    public static final String GUEST_AGENT_DIR = "/opt/banger";

    /** The steps of a Debian build, in order, as progress reports name them. */
    public static final List<String> DEBIAN_STEPS = List.of(
            "mirror", "debootstrap", "kernel", "agent", "customize", "agent-cache", "initramfs", "vmlinux", "rootfs", "manifest", "publish");

    /** The steps of a Void build: its own root filesystem script, then the shared steps. */
    public static final List<String> VOID_STEPS = List.of(
            "rootfs-void", "kernel", "agent", "agent-cache", "initramfs", "vmlinux", "rootfs", "manifest", "publish");

    public static List<String> steps(String distro) {
        return distro.equals("void") ? VOID_STEPS : DEBIAN_STEPS;
    }

    private ImageRecipe() {
    }

    /** The versioned kernel package from {@code apt-cache depends KERNEL_METAPACKAGE} output. */
    public static String kernelPackage(String aptCacheDepends) {
        for (String line : aptCacheDepends.split("\\n")) {
            String t = line.trim();
            if (t.startsWith("Depends: linux-image-")) {
                return t.substring("Depends: ".length()).trim();
            }
        }
        throw new IllegalArgumentException("no linux-image dependency in: " + aptCacheDepends.strip());
    }

    /** Package names as apt spells them; anything else could be an option smuggled into debootstrap. */
    public static String validatePackage(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9+.-]{0,99}")) {
            throw dev.banger.api.BangerException.invalid("'" + name + "' is not a Debian package name (a-z, 0-9, '+', '.', '-')");
        }
        return name;
    }

    /** Suites as Debian names them (bookworm, trixie, sid, stable, ...). */
    public static String validateSuite(String suite) {
        if (suite == null || !suite.matches("[a-z][a-z0-9-]{1,30}")) {
            throw dev.banger.api.BangerException.invalid("'" + suite + "' is not a Debian suite name (e.g. bookworm)");
        }
        return suite;
    }
}
