package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.core.Sizes;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmShowCommand extends Verb {

    VmShowCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "show";
    }

    @Override
    String description() {
        return "Show one VM in detail.";
    }

    @Override
    String[] aliases() {
        return new String[] {"inspect"};
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1", "name or id"));
        spec.addOption(jsonFlag("the VM"));
    }

    @Override
    int run(ParseResult args) {
        String vm = args.matchedPositional(0).getValue();
        VmRecord v = ctx.daemon().call(Methods.VM_GET, new Params.VmRef(vm), VmRecord.class);
        if (has(args, "--json")) {
            printJson(v);
            return 0;
        }
        VmRuntime r = v.runtime();
        String[][] fields = {
                {"Name", v.name()}, {"ID", v.id()}, {"State", r.state().wireName()}, {"Image", v.spec().image()}, {"VMM", v.spec().vmm()},
                {"vCPUs", Integer.toString(v.spec().vcpus())}, {"Memory", Sizes.formatMib(v.spec().memoryMib())},
                {"Root disk", v.spec().rootDiskMib() == 0 ? "image size" : Sizes.formatMib(v.spec().rootDiskMib())},
                {"Work disk", Sizes.formatMib(v.spec().workDiskMib())},
                {"Guest IP", r.guestIp()}, {"DNS name", r.dnsName()}, {"Created", v.createdAt().toString()},
                {"Updated", v.updatedAt().toString()}, {"VM dir", r.vmDir()}, {"API socket", r.apiSockPath()},
                {"vsock", r.vsockPath() + " (CID " + r.vsockCid() + ")"}, {"Console log", r.logPath()},
                {"Metrics", r.metricsPath()}, {"System overlay", r.systemOverlay()}, {"Work disk file", r.workDiskPath()},
                {"Last error", r.lastError()}};
        for (String[] f : fields) {
            println(String.format("%-15s %s", f[0] + ":", f[1] == null ? "-" : f[1]));
        }
        return 0;
    }
}
