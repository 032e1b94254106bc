package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.core.Sizes;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmListCommand extends Verb {

    VmListCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "list";
    }

    @Override
    String description() {
        return "List VMs.";
    }

    @Override
    String[] aliases() {
        return new String[] {"ls"};
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(jsonFlag("the VMs"));
    }

    @Override
    int run(ParseResult args) {
        Params.VmList list = ctx.daemon().call(Methods.VM_LIST, null, Params.VmList.class);
        if (has(args, "--json")) {
            printJson(list);
            return 0;
        }
        Table t = new Table("NAME", "STATE", "IP", "DNS", "IMAGE", "CPUS", "MEMORY", "AGE");
        Instant now = Instant.now();
        for (VmRecord vm : list.vms()) {
            t.row(vm.name(), vm.state().wireName(), vm.runtime().guestIp(), vm.runtime().dnsName(), vm.spec().image(),
                    Integer.toString(vm.spec().vcpus()), Sizes.formatMib(vm.spec().memoryMib()),
                    Durations.shortForm(Duration.between(vm.createdAt(), now)));
        }
        t.print(ctx.out());
        return 0;
    }
}
