package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class DaemonTeardownCommand extends Verb {
    DaemonTeardownCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "teardown";
    }

    @Override
    String description() {
        return "Remove banger's bridge, taps, NAT rules and DNS server from the host (refused while VMs run).";
    }

    @Override
    void declare(CommandSpec spec) {
    }

    @Override
    int run(ParseResult args) {
        Params.TornDown t = ctx.daemon().call(Methods.DAEMON_TEARDOWN, null, Params.TornDown.class);
        println("removed bridge " + t.bridge() + " and everything banger attached to it");
        return 0;
    }
}
