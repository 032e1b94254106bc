package dev.banger.api;

/**
 * A host directory shared into a VM (virtiofs under QEMU). Checked by banger-core's {@code MountRules} and, for
 * who may mount what, by the daemon against the caller's credentials.
 *
 * @param hostDir  the directory's absolute, resolved path on the host
 * @param guestDir where the guest mounts it (absolute)
 * @param readOnly true for {@code :ro}: enforced on the host by a read-only bind mount
 * @param uid      the host user the guest's root acts as through this mount (never 0: guest root must not be host root)
 * @param gid      that user's group
 */
public record HostMount(String hostDir, String guestDir, boolean readOnly, int uid, int gid) {
    /** The {@code --mount} form, {@code HOST_DIR:GUEST_DIR:ro|rw}. */
    public String spec() {
        return hostDir + ":" + guestDir + (readOnly ? ":ro" : ":rw");
    }
}
