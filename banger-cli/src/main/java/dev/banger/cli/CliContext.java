package dev.banger.cli;

import dev.banger.core.StatePaths;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * What every command needs from the outside world, passed in rather than read from globals so tests
 * can run the CLI in-process with their own streams and environment.
 *
 * @param installDir the banger checkout or install (holds bin/bangerd), from the launcher
 */
public record CliContext(PrintWriter out, PrintWriter err, Map<String, String> env, StatePaths paths, Path installDir,
                         boolean terminal) {

    public static CliContext of(PrintWriter out, PrintWriter err, Map<String, String> env, Path installDir, boolean terminal) {
        return new CliContext(out, err, env, StatePaths.fromEnvironment(env), installDir, terminal);
    }

    /** A client that starts the daemon when it is not running. */
    public DaemonClient daemon() {
        return new DaemonClient(this, true);
    }

    /** A client that only talks to a daemon already running (status, stop, version). */
    public DaemonClient existingDaemon() {
        return new DaemonClient(this, false);
    }
}
