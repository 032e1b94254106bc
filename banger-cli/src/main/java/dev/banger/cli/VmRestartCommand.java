package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmRestartCommand extends Verb {
    VmRestartCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "restart";
    }

    @Override
    String description() {
        return "Stop a VM (if running) and start it again; address, disks and /work are kept.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1", "name or id"));
    }

    @Override
    int run(ParseResult args) {
        String name = args.matchedPositional(0).getValue();
        VmRecord vm = ctx.daemon().call(Methods.VM_GET, new Params.VmRef(name), VmRecord.class);
        if (vm.state() == dev.banger.api.VmState.RUNNING) {
            ctx.daemon().call(Methods.VM_STOP, new Params.VmStop(name, false), VmRecord.class);
        }
        vm = VmStartCommand.start(ctx, name);
        println("restarted VM " + vm.name());
        return 0;
    }
}
