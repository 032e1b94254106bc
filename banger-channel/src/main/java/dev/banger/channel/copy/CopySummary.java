package dev.banger.channel.copy;

/** What a copy moved: regular files, directories, symbolic links, and the files' bytes. */
public record CopySummary(long files, long directories, long symlinks, long bytes) {
}
