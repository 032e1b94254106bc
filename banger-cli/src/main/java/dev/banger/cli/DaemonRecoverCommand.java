package dev.banger.cli;

import dev.banger.api.Rpcs;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * Restarts bangerd so that it adopts the VM directories its database does not know (rebuilt from their
 * vm.json), or, with --purge, destroys them. The way out that a daemon refusing a lost or damaged
 * database names.
 */
final class DaemonRecoverCommand extends Verb {
    DaemonRecoverCommand(CliContext ctx) {
        super(ctx, "recover", "Rebuild lost VM records from each VM directory's vm.json and adopt the VMs that run (a damaged "
                + "database is moved aside, never deleted); with --purge, destroy every VM the database does not know instead.");
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(flag("destroy what the database does not know (VMMs killed, VM directories and their disks removed) "
                + "instead of recovering it", "--purge"));
    }

    @Override
    int run(ParseResult args) throws InterruptedException {
        boolean purge = has(args, "--purge");
        DaemonStopCommand.stop(ctx); // running VMs keep running; the recovering daemon adopts them
        new DaemonStarter(ctx).start(List.of(purge ? "--purge" : "--recover"));
        println(ctx.existingDaemon().call(Rpcs.DAEMON_STATUS).reconcile());
        return 0;
    }
}
