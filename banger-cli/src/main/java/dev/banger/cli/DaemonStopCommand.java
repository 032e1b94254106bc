package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import java.nio.file.Files;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class DaemonStopCommand extends Verb {
    static final long STOP_TIMEOUT_MILLIS = 10_000;

    DaemonStopCommand(CliContext ctx) {
        super(ctx, "stop", "Stop bangerd. Running VMs keep running; the next banger command starts bangerd again.");
    }

    @Override
    void declare(CommandSpec spec) {
        // no options
    }

    @Override
    int run(ParseResult args) throws InterruptedException {
        if (!stop(ctx)) {
            println("bangerd is not running");
        }
        return 0;
    }

    /** Stops the daemon that serves, if any, and waits until it is gone; whether there was one. */
    static boolean stop(CliContext ctx) throws InterruptedException {
        DaemonClient daemon = ctx.existingDaemon();
        if (!daemon.reachable()) {
            return false;
        }
        Params.DaemonStatus status = daemon.call(Rpcs.DAEMON_STATUS);
        daemon.call(Rpcs.DAEMON_SHUTDOWN);
        long deadline = System.nanoTime() + STOP_TIMEOUT_MILLIS * 1_000_000;
        while (Files.exists(ctx.paths().socket()) || dev.banger.host.HostInfo.processAlive(status.pid())) {
            if (System.nanoTime() > deadline) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd (pid " + status.pid() + ") did not stop within "
                        + STOP_TIMEOUT_MILLIS / 1000 + " s; see " + ctx.paths().logFile());
            }
            Thread.sleep(20);
        }
        ctx.out().println("bangerd stopped (pid " + status.pid() + ")");
        ctx.out().flush();
        return true;
    }
}
