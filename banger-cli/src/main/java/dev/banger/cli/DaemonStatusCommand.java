package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class DaemonStatusCommand extends Verb {

    DaemonStatusCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "status";
    }

    @Override
    String description() {
        return "Show whether bangerd runs, with its pid, uptime and state directory (never starts it).";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(jsonFlag("the status"));
    }

    @Override
    int run(ParseResult args) {
        Params.DaemonStatus s = ctx.existingDaemon().call(Methods.DAEMON_STATUS, null, Params.DaemonStatus.class);
        if (has(args, "--json")) {
            printJson(s);
            return 0;
        }
        println("bangerd " + s.version() + " running, pid " + s.pid() + ", up " + s.uptimeSeconds() + " s");
        println("state:   " + s.home());
        println("socket:  " + s.socket());
        println("db:      " + s.database() + " (schema v" + s.schemaVersion() + ")");
        println("vms:     " + s.vmCount());
        if (s.reconcile() != null) {
            println("start:   " + s.reconcile());
        }
        return 0;
    }
}
