package dev.banger.core.disk;

import java.nio.file.Path;
import java.util.List;

/** The argv for a VM's disks: a qcow2 overlay over the read-only base image, a sparse ext4 work disk. */
public final class DiskCommands {
    /** The work disk's filesystem label; the guest's fstab mounts LABEL=banger-work at /work. */
    public static final String WORK_LABEL = "banger-work";

    private DiskCommands() {
    }

    /**
     * A copy-on-write overlay: only a qcow2 header pointing at the base, so it takes the same time
     * whatever the base's size. {@code sizeMib} 0 keeps the base's virtual size; more grows the disk
     * (the guest's filesystem is not resized).
     */
    public static List<String> overlay(Path base, Path overlay, long sizeMib) {
        return overlay(base, "raw", overlay, sizeMib);
    }

    /** {@link #overlay(Path, Path, long)} over a base of {@code baseFormat} ("raw", or "qcow2": a snapshot's frozen root). */
    public static List<String> overlay(Path base, String baseFormat, Path overlay, long sizeMib) {
        if (!baseFormat.equals("raw") && !baseFormat.equals("qcow2")) {
            throw new IllegalArgumentException("base format " + baseFormat);
        }
        List<String> argv = new java.util.ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", baseFormat, "-b",
                base.toString(), overlay.toString()));
        if (sizeMib > 0) {
            argv.add(sizeMib + "M");
        }
        return argv;
    }

    /**
     * A copy of a disk image that keeps its holes (a sparse work disk stays sparse) and shares blocks where the
     * filesystem can ({@code --reflink=auto}: btrfs, XFS); {@code to} must not exist.
     */
    public static List<String> sparseCopy(Path from, Path to) {
        return List.of("cp", "--sparse=always", "--reflink=auto", "--no-target-directory", "--", from.toString(), to.toString());
    }

    /** An empty ext4 on a sparse file of {@code sizeMib}: mkfs.ext4 creates the file at that size. */
    public static List<String> workDisk(Path file, long sizeMib) {
        return List.of("mkfs.ext4", "-q", "-F", "-L", WORK_LABEL, "-E", "root_owner=0:0,lazy_itable_init=1", file.toString(), sizeMib + "M");
    }
}
