package dev.banger.daemon.vm;

import java.util.Locale;

/**
 * The named steps of a VM's start, in order: the one list that drives its progress notifications, its
 * crash points ({@link CrashPoint#after}) and the order in which a failed start is undone. What each
 * step does is {@link VmPower}'s.
 */
public enum StartStep {
    /** Find the image's kernel, initramfs and root filesystem. */
    IMAGE,
    /** The copy-on-write root over the image and the work disk. */
    DISKS,
    /** The VM's keys and its config drive. */
    CONFIG,
    /** The bridge (once) and the VM's tap. */
    NETWORK,
    /** Host directories: a bind mount and a virtiofsd each (nothing for a VM without mounts). */
    MOUNTS,
    /** The VMM, launched detached. */
    BOOT,
    /**
     * The guest ready: its agent answers and reports its configuration applied (or, for an image without
     * the agent, its sshd answers). Waited for without the VM's lock, so a stop or delete can cut in.
     */
    GUEST;

    /** As progress notifications name it. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
