package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.core.Sizes;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmCreateCommand extends Verb {
    VmCreateCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "create";
    }

    @Override
    String description() {
        return "Create a VM record (booting comes with 'vm start').";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(option("NAME", String.class, "DNS label: 1-63 of a-z, 0-9, '-' (default: generated)", "--name"));
        spec.addOption(option("IMAGE", String.class, "base image (default from config: debian-bookworm)", "--image"));
        spec.addOption(option("N", Integer.class, "vCPUs, 1-32 (default 1)", "--cpus", "--vcpus"));
        spec.addOption(option("SIZE", String.class, "memory, e.g. 512M or 2G (default 512M)", "--memory"));
        spec.addOption(option("SIZE", String.class, "work disk mounted at /work (default 4G)", "--work-disk"));
        spec.addOption(option("SIZE", String.class, "grow the root disk to SIZE (default: the image's size)", "--root-disk"));
        spec.addOption(option("VMM", String.class, "qemu or firecracker (default from config: qemu)", "--vmm"));
        spec.addOption(jsonFlag("the VM"));
    }

    @Override
    int run(ParseResult args) {
        String memory = args.matchedOptionValue("--memory", null);
        String workDisk = args.matchedOptionValue("--work-disk", null);
        String rootDisk = args.matchedOptionValue("--root-disk", null);
        Params.VmCreate request = new Params.VmCreate(
                args.matchedOptionValue("--name", null),
                args.matchedOptionValue("--image", null),
                args.matchedOptionValue("--cpus", null),
                memory == null ? null : Math.toIntExact(Math.min(Integer.MAX_VALUE, Sizes.parseMib("--memory", memory))),
                rootDisk == null ? null : Sizes.parseMib("--root-disk", rootDisk),
                workDisk == null ? null : Sizes.parseMib("--work-disk", workDisk),
                args.matchedOptionValue("--vmm", null));
        VmRecord vm = ctx.daemon().call(Methods.VM_CREATE, request, VmRecord.class);
        if (has(args, "--json")) {
            printJson(vm);
        } else {
            println("created VM " + vm.name() + " (" + vm.id() + ", " + vm.runtime().guestIp() + ", " + vm.runtime().dnsName() + ")");
        }
        return 0;
    }
}
