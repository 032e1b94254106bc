package dev.banger.host.net;

import java.util.List;

/**
 * Runs one short command given as an argv list and reports how it ended. {@link NetworkHost} does all its
 * work through this, so a test can run every command inside a network namespace of its own
 * ({@code ip netns exec NS ...}) while production runs them directly ({@link ProcessExecutor}).
 */
@FunctionalInterface
public interface Executor {
    /** Exit status used when the program could not be started at all (as a shell reports it). */
    int PROGRAM_MISSING = 127;

    Result run(List<String> argv);

    record Result(int exitStatus, String stdout, String stderr) {
        public boolean ok() {
            return exitStatus == 0;
        }

        public boolean programMissing() {
            return exitStatus == PROGRAM_MISSING;
        }
    }
}
