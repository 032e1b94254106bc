package dev.banger.core.archfixture;

import java.io.IOException;

/** Arch fixture: core code that starts a process. Violates rule (a). Never run; only imported by ArchUnit. */
public final class ShellsOut {
    private ShellsOut() {
    }

    public static Process ip() throws IOException {
        return new ProcessBuilder("ip", "link").start();
    }
}
