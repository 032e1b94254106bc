package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import java.io.PrintWriter;
import java.util.List;

/** banger daemon ...: its verbs in the order help lists them. */
final class DaemonVerbs {
    private DaemonVerbs() {
    }

    static List<Verb> all(CliContext ctx) {
        return List.of(
                new CallVerb<>(ctx, "status", "Show whether bangerd runs, with its pid, uptime and state directory (never starts it).",
                        Rpcs.DAEMON_STATUS).onlyWhenRunning().json("the status").text(DaemonVerbs::status),
                new DaemonStopCommand(ctx),
                new CallVerb<>(ctx, "teardown", "Remove banger's bridge, taps, NAT rules and DNS server from the host (refused while VMs run).",
                        Rpcs.DAEMON_TEARDOWN).text((t, c) -> c.out().println("removed bridge " + t.bridge()
                                + " and everything banger attached to it")),
                new DaemonRecoverCommand(ctx));
    }

    private static void status(Params.DaemonStatus s, CliContext ctx) {
        PrintWriter out = ctx.out();
        out.println("bangerd " + s.version() + " running, pid " + s.pid() + ", up " + s.uptimeSeconds() + " s");
        out.println("state:   " + s.home());
        out.println("socket:  " + s.socket());
        out.println("db:      " + s.database() + " (schema v" + s.schemaVersion() + ")");
        out.println("vms:     " + s.vmCount());
        if (s.reconcile() != null) {
            out.println("start:   " + s.reconcile());
        }
    }
}
