package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Methods;
import dev.banger.api.Params;
import java.nio.file.Files;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class DaemonStopCommand extends Verb {
    static final long STOP_TIMEOUT_MILLIS = 10_000;

    DaemonStopCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "stop";
    }

    @Override
    String description() {
        return "Stop bangerd. Running VMs keep running; the next banger command starts bangerd again.";
    }

    @Override
    void declare(CommandSpec spec) {

    }

    @Override
    int run(ParseResult args) throws InterruptedException {
        DaemonClient daemon = ctx.existingDaemon();
        if (!daemon.reachable()) {
            println("bangerd is not running");
            return 0;
        }
        Params.DaemonStatus status = daemon.call(Methods.DAEMON_STATUS, null, Params.DaemonStatus.class);
        daemon.call(Methods.DAEMON_SHUTDOWN, null, Params.ShutdownAccepted.class);
        long deadline = System.nanoTime() + STOP_TIMEOUT_MILLIS * 1_000_000;
        while (Files.exists(ctx.paths().socket()) || dev.banger.host.HostInfo.processAlive(status.pid())) {
            if (System.nanoTime() > deadline) {
                throw new BangerException(ErrorCode.DAEMON_UNAVAILABLE, "bangerd (pid " + status.pid() + ") did not stop within "
                        + STOP_TIMEOUT_MILLIS / 1000 + " s; see " + ctx.paths().logFile());
            }
            Thread.sleep(20);
        }
        println("bangerd stopped (pid " + status.pid() + ")");
        return 0;
    }
}
