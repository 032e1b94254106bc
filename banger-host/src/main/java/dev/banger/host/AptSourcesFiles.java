package dev.banger.host;

import dev.banger.core.image.AptSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads the host's apt source files (deb822 files first, then the one-line format). */
public final class AptSourcesFiles {
    private static final Path SOURCES_D = Path.of("/etc/apt/sources.list.d");
    private static final Path SOURCES_LIST = Path.of("/etc/apt/sources.list");

    private AptSourcesFiles() {
    }

    public static String mirror(String suite) {
        List<AptSources.Entry> entries = new ArrayList<>();
        try {
            if (Files.isDirectory(SOURCES_D)) {
                try (Stream<Path> files = Files.list(SOURCES_D)) {
                    for (Path f : files.sorted().toList()) {
                        String name = f.getFileName().toString();
                        if (name.endsWith(".sources")) {
                            entries.addAll(AptSources.parseDeb822(Files.readString(f)));
                        } else if (name.endsWith(".list")) {
                            entries.addAll(AptSources.parseOneLine(Files.readString(f)));
                        }
                    }
                }
            }
            if (Files.isRegularFile(SOURCES_LIST)) {
                entries.addAll(AptSources.parseOneLine(Files.readString(SOURCES_LIST)));
            }
        } catch (IOException e) {
            throw new dev.banger.api.BangerException(dev.banger.api.ErrorCode.HOST_FAILURE, "cannot read apt sources: " + e.getMessage(), e);
        }
        return AptSources.mirror(entries, suite, SOURCES_D + "/*.sources, " + SOURCES_D + "/*.list, " + SOURCES_LIST);
    }
}
