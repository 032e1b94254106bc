package dev.banger.channel.copy;

import java.nio.file.attribute.FileTime;

/**
 * One member of a copy's archive: a regular file ({@code size} bytes follow it), a directory, or a
 * symbolic link ({@code linkTarget}, never followed). {@code name} is relative, '/'-separated, its first
 * component the copy's top name; {@code mode} holds the permission bits (07777).
 */
public record TarEntry(Kind kind, String name, long size, int mode, FileTime mtime, String linkTarget) {
    /** What an entry is; nothing else is ever written or accepted. */
    public enum Kind {
        FILE, DIRECTORY, SYMLINK
    }

    public TarEntry {
        if (size < 0 || (kind != Kind.FILE && size != 0)) {
            throw new IllegalArgumentException("size " + size + " for a " + kind);
        }
        if ((kind == Kind.SYMLINK) != (linkTarget != null)) {
            throw new IllegalArgumentException("a link target belongs to symbolic links only");
        }
    }
}
