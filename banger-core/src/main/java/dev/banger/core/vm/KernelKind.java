package dev.banger.core.vm;

import dev.banger.api.ImageManifest;

/** Which of an image's kernels a VMM boots, with the manifest role that names that file. */
public enum KernelKind {
    /**
     * The ELF vmlinux entered through its PVH note (Xen's PHYS32_ENTRY, {@code CONFIG_PVH}): QEMU's first choice.
     * A bzImage decompresses itself on the guest's CPU, which under TCG cost 0.4 s of every boot here.
     */
    PVH_VMLINUX(ImageManifest.ROLE_VMLINUX, "an ELF vmlinux with a PVH entry note"),
    /** The compressed bzImage: QEMU boots it when the image has no vmlinux it can enter (an imported bzImage). */
    BZIMAGE(ImageManifest.ROLE_BZIMAGE, "a bzImage kernel"),
    /** The uncompressed ELF vmlinux: Firecracker boots only that; banger's image build extracts it from the bzImage. */
    ELF_VMLINUX(ImageManifest.ROLE_VMLINUX, "an ELF vmlinux kernel (Firecracker boots only that; banger's image build extracts it)");

    private final String manifestRole;
    private final String description;

    KernelKind(String manifestRole, String description) {
        this.manifestRole = manifestRole;
        this.description = description;
    }

    /** The role of this kernel's file in an image's manifest. */
    public String manifestRole() {
        return manifestRole;
    }

    /** What it is, for a message saying an image lacks it. */
    public String description() {
        return description;
    }
}
