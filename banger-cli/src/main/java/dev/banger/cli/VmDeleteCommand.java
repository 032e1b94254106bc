package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Methods;
import dev.banger.api.Params;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmDeleteCommand extends Verb {

    VmDeleteCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "delete";
    }

    @Override
    String description() {
        return "Delete VMs and everything they own on the host.";
    }

    @Override
    String[] aliases() {
        return new String[] {"rm"};
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1..*", "names or ids"));
        spec.addOption(flag("also delete a VM that is running or broken", "-f", "--force"));
    }

    @Override
    int run(ParseResult args) {
        List<String> vms = args.matchedPositional(0).stringValues();
        boolean force = has(args, "--force");
        int status = ErrorCode.ExitStatus.SUCCESS;
        DaemonClient daemon = ctx.daemon();
        for (String vm : vms) {
            try {
                Params.Deleted d = daemon.call(Methods.VM_DELETE, new Params.VmDelete(vm, force), Params.Deleted.class);
                println("deleted VM " + d.name());
                for (String warning : d.warnings()) {
                    ctx.err().println("banger: warning: " + warning);
                }
                ctx.err().flush();
            } catch (BangerException e) {
                if (vms.size() == 1) {
                    throw e;
                }
                ctx.err().println("banger: " + e.getMessage());
                ctx.err().flush();
                status = Math.max(status, e.code().exitStatus());
            }
        }
        return status;
    }
}
