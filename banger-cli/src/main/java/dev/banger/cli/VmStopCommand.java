package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmStopCommand extends Verb {
    VmStopCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "stop";
    }

    @Override
    String description() {
        return "Power a VM off (ACPI power button, then a kill after 30 s); its disks are kept.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1", "name or id"));
        spec.addOption(flag("kill the VM at once instead of asking it to power off", "-f", "--force"));
    }

    @Override
    int run(ParseResult args) {
        VmRecord vm = ctx.daemon().call(Methods.VM_STOP, new Params.VmStop(args.matchedPositional(0).getValue(), has(args, "--force")),
                VmRecord.class);
        println("stopped VM " + vm.name());
        return 0;
    }
}
