package dev.banger.core.archfixture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Arch fixture: core code that reads a file. Violates rule (b). */
public final class ReadsFiles {
    private ReadsFiles() {
    }

    public static String read(Path p) throws IOException {
        return Files.readString(p);
    }
}
