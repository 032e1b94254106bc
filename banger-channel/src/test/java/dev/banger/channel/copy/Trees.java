package dev.banger.channel.copy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test helpers: a tree described file by file, and a copy through the archive format in memory. */
final class Trees {
    private Trees() {
    }

    /**
     * Every path under {@code root} (itself included, as "."): its type and permission bits, its mtime and, for
     * a file, its SHA-256; for a link, its target. Links are never followed.
     */
    static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                String rel = root.relativize(p).toString();
                out.put(rel.isEmpty() ? "." : rel, describeOne(p));
            }
        }
        return out;
    }

    static String describeOne(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        String what = Integer.toOctalString(mode) + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(p)) {
            return what.replaceFirst("^\\d+", "link") + " -> " + Files.readSymbolicLink(p);
        }
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return what + " sha256 " + RawTar.sha256(Files.readAllBytes(p));
        }
        return what;
    }

    /** The archive of {@code source}. */
    static byte[] archive(Path source) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SourceTree.of(source).send(new TarWriter(bytes));
        return bytes.toByteArray();
    }

    /** Extracts {@code archive} to {@code destination} as a copy would. */
    static CopySummary extract(byte[] archive, String destination, int modeMask) throws IOException {
        return new Extractor(CopyTarget.resolve(destination), modeMask).extract(new TarReader(new ByteArrayInputStream(archive)));
    }

    /** Paths under {@code root} that look like a copy's temporary files. */
    static long temporaries(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.getFileName().toString().startsWith(".banger-cp-")).count();
        }
    }
}
