package dev.banger.core.mount;

import java.nio.file.Path;

/**
 * One host directory as a VMM offers it to the guest: the virtiofs tag the guest mounts ({@link MountRules#tag}) and
 * the vhost-user socket of the virtiofsd serving it.
 */
public record Share(String tag, Path socket) {
    public Share {
        if (tag == null || !tag.matches("banger[0-9]{1,2}")) {
            throw new IllegalArgumentException("not a banger virtiofs tag: " + tag);
        }
    }
}
