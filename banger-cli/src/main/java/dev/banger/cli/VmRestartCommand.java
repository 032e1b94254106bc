package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.api.VmState;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmRestartCommand extends Verb {
    VmRestartCommand(CliContext ctx) {
        super(ctx, "restart", "Stop a VM (if running) and start it again; address, disks and /work are kept.");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.VM.declare(spec);
    }

    @Override
    int run(ParseResult args) {
        String name = Args.VM.value(args);
        if (ctx.daemon().call(Rpcs.VM_GET, new Params.VmRef(name)).state() == VmState.RUNNING) {
            ctx.daemon().call(Rpcs.VM_STOP, new Params.VmStop(name, false));
        }
        println("restarted VM " + VmVerbs.start(ctx, name).name());
        return 0;
    }
}
