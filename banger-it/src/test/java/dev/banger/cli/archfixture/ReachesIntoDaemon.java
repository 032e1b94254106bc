package dev.banger.cli.archfixture;

import dev.banger.daemon.Daemon;
import java.lang.foreign.Arena;

/**
 * Arch fixture: CLI code that reaches into the daemon instead of using the socket (violates rule (c)) and
 * allocates native memory (violates rule (a)'s foreign API part).
 */
public final class ReachesIntoDaemon {
    private ReachesIntoDaemon() {
    }

    public static void stop(Daemon daemon) {
        daemon.close();
    }

    public static long scratch() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(16).byteSize();
        }
    }
}
