package dev.banger.cli;

import dev.banger.api.Rpcs;
import dev.banger.api.VmRecord;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** banger vm create: a VM record; with --from it is resumed from the snapshot at once (it never boots). */
final class VmCreateCommand extends Verb {
    VmCreateCommand(CliContext ctx) {
        super(ctx, "create", "Create a VM record (booting comes with 'vm start'); with --from SNAP, create it and resume the "
                + "snapshot in it at once.");
    }

    @Override
    void declare(CommandSpec spec) {
        VmSpecOptions.declare(spec);
        Args.json(spec, "the VM");
    }

    @Override
    int run(ParseResult args) {
        var request = VmSpecOptions.read(args);
        VmRecord vm = ctx.daemon().call(Rpcs.VM_CREATE, request);
        if (request.from() != null) {
            vm = VmVerbs.start(ctx, vm.id());
        }
        String how = request.from() != null ? "resumed VM " + vm.name() + " from snapshot " + request.from() : "created VM " + vm.name();
        return print(args, vm, v -> println(how + " (" + v.id() + ", " + v.runtime().guestIp() + ", " + v.runtime().dnsName() + ")"));
    }
}
