package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VmDeleteCommand extends Verb {
    VmDeleteCommand(CliContext ctx) {
        super(ctx, "delete", "Delete VMs and everything they own on the host.", "rm");
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "0..*", "1..*", "names or ids"));
        Args.force(spec, "also delete a VM that is running or broken");
    }

    /** Deletes each VM in turn; one that fails is reported and the rest are still deleted. */
    @Override
    int run(ParseResult args) {
        List<String> vms = args.matchedPositional(0).stringValues();
        int status = ErrorCode.ExitStatus.SUCCESS;
        DaemonClient daemon = ctx.daemon();
        for (String vm : vms) {
            try {
                Params.Deleted d = daemon.call(Rpcs.VM_DELETE, new Params.VmDelete(vm, Args.force(args)));
                println("deleted VM " + d.name());
                d.warnings().forEach(w -> warn("warning: " + w));
            } catch (BangerException e) {
                if (vms.size() == 1) {
                    throw e;
                }
                warn(e.getMessage());
                status = Math.max(status, e.code().exitStatus());
            }
        }
        return status;
    }
}
