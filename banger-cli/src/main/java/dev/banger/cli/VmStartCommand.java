package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmStartCommand extends Verb {
    VmStartCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "start";
    }

    @Override
    String description() {
        return "Boot a VM and wait until SSH answers.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1", "name or id"));
        spec.addOption(jsonFlag("the VM"));
    }

    @Override
    int run(ParseResult args) {
        VmRecord vm = start(ctx, args.matchedPositional(0).getValue());
        if (has(args, "--json")) {
            printJson(vm);
        } else {
            println("started VM " + vm.name() + " (" + vm.runtime().guestIp() + ", " + vm.runtime().dnsName() + ")");
        }
        return 0;
    }

    /** Starts a VM showing boot progress on stderr; shared with run and restart. */
    static VmRecord start(CliContext ctx, String vm) {
        return ProgressPrinter.call(ctx, Methods.VM_START, new Params.VmRef(vm), VmRecord.class);
    }
}
