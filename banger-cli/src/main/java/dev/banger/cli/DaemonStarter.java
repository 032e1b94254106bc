package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.host.DaemonLauncher;
import dev.banger.host.HostInfo;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts bangerd when no daemon answers: detached, logging to the daemon log, then waits until its
 * socket accepts connections. Every way this can fail ends in a message that says what to do.
 */
final class DaemonStarter {
    static final long READY_TIMEOUT_MILLIS = Long.getLong("banger.daemonStartTimeoutMillis", 20_000);
    private static final int LOG_TAIL_LINES = 30;

    private final CliContext ctx;

    DaemonStarter(CliContext ctx) {
        this.ctx = ctx;
    }

    void start() {
        start(List.of());
    }

    /** Starts bangerd with {@code args} (a recovery mode) and waits until it serves. */
    void start(List<String> args) {
        Path socket = ctx.paths().socket();
        if (!HostInfo.isRoot()) {
            throw new BangerException(ErrorCode.PERMISSION_DENIED, "bangerd is not running (nothing answers on " + socket
                    + ") and only root can start it: run this command with sudo, or start the service with 'sudo systemctl start bangerd'");
        }
        if (ctx.installDir() == null) {
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd is not running and banger does not know where bin/bangerd is; "
                    + "run banger through its bin/banger launcher");
        }
        Path log = ctx.paths().logFile();
        long logOffset = size(log);
        DaemonLauncher.Launched daemon = DaemonLauncher.launch(ctx.installDir().resolve("bin/bangerd"), log, Map.of(), args);
        long deadline = System.nanoTime() + READY_TIMEOUT_MILLIS * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (accepts(socket)) {
                return;
            }
            java.util.OptionalInt exit = daemon.exitStatus();
            // Status 0 can be setsid's own exit if it had to fork; only a failure means the daemon died.
            if (exit.isPresent() && exit.getAsInt() != 0) {
                // Another banger may have started a daemon at the same moment and won the lock: use it.
                if (accepts(socket)) {
                    return;
                }
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd exited with status " + exit.getAsInt()
                        + " before it was ready. " + refusalOrTail(log, logOffset));
            }
            sleep(20);
        }
        throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd did not become ready within "
                + READY_TIMEOUT_MILLIS / 1000 + " s. Last lines of " + log + ":\n" + tail(log, logOffset));
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel ignored = DaemonClient.open(socket)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * The daemon's own error when it stated one ("bangerd: error: ..." to the end, which may span lines:
     * a refusal names what it found and the ways out), else the last lines of the log.
     */
    static String refusalOrTail(Path log, long fromOffset) {
        String tail = tail(log, fromOffset);
        int at = tail.indexOf("bangerd: error: ");
        return at < 0 ? "Last lines of " + log + ":\n" + tail
                : "It said:\n" + tail.substring(at + "bangerd: error: ".length()).lines()
                        .map(l -> l.startsWith("  ") ? l.substring(2) : l).collect(java.util.stream.Collectors.joining("\n"));
    }

    /** The last lines this start wrote to the log (earlier runs' lines are not this failure's story). */
    static String tail(Path log, long fromOffset) {
        try {
            byte[] all = Files.readAllBytes(log);
            String text = new String(all, (int) Math.min(fromOffset, all.length), (int) Math.max(0, all.length - fromOffset),
                    java.nio.charset.StandardCharsets.UTF_8);
            List<String> lines = text.lines().toList();
            if (lines.isEmpty()) {
                return "  (nothing logged)";
            }
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()).stream()
                    .map(l -> "  " + l).toList());
        } catch (IOException e) {
            return "  (cannot read the log: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "interrupted while waiting for bangerd");
        }
    }
}
