package dev.banger.host;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Starts bangerd detached from the caller: in its own session (setsid), stdin from /dev/null, stdout and
 * stderr appended to the daemon log. Never a pipe: a daemon writing to a pipe whose reader (the CLI) has
 * exited would die of SIGPIPE.
 */
public final class DaemonLauncher {
    /** A started daemon, as far as its starter needs to know it (the process API stays in this module). */
    public static final class Launched {
        private final Process process;

        Launched(Process process) {
            this.process = process;
        }

        /** The exit status if the daemon has already exited. */
        public OptionalInt exitStatus() {
            return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
        }
    }

    private DaemonLauncher() {
    }

    /**
     * @param bangerd the bin/bangerd launcher
     * @param env variables to set for the daemon (BANGER_HOME among them, when set)
     * @param args bangerd's arguments (none, or a recovery mode such as --recover)
     * @return the daemon's process (setsid execs it in place, so this is bangerd itself)
     */
    public static Launched launch(Path bangerd, Path logFile, Map<String, String> env, List<String> args) {
        if (!Files.isExecutable(bangerd)) {
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "cannot start the daemon: " + bangerd
                    + " is missing or not executable (run ./setup.sh in the banger checkout)");
        }
        try {
            Files.createDirectories(logFile.getParent());
            List<String> argv = new java.util.ArrayList<>(List.of("setsid", bangerd.toString()));
            argv.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectErrorStream(true);
            pb.environment().putAll(env);
            return new Launched(pb.start());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "cannot start the daemon " + bangerd + ": " + e.getMessage(), e);
        }
    }
}
