package dev.banger.cli;

import dev.banger.api.Methods;
import dev.banger.api.Params;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code banger vm ports NAME}: what listens inside one VM, as endpoints the host can use. http and https
 * endpoints are written as URLs and, on a terminal, as clickable hyperlinks.
 */
final class VmPortsCommand extends Verb {

    VmPortsCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "ports";
    }

    @Override
    String description() {
        return "Show what listens inside a VM: PROTO ENDPOINT PROCESS COMMAND (http/https as links).";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(parameter("VM", "1", "name or id"));
        spec.addOption(jsonFlag("the listeners"));
    }

    @Override
    int run(ParseResult args) {
        String vm = args.matchedPositional(0).getValue();
        Params.VmPorts ports = ctx.daemon().call(Methods.VM_PORTS, new Params.VmRef(vm), Params.VmPorts.class);
        if (has(args, "--json")) {
            printJson(ports);
            return 0;
        }
        Table t = new Table("PROTO", "ENDPOINT", "PROCESS", "COMMAND");
        for (Params.PortRow r : ports.ports()) {
            String endpoint = r.url() != null ? r.url() : r.reachable() ? r.endpoint() : r.endpoint() + " (inside the VM only)";
            t.row(r.proto(), endpoint, r.process(), r.command());
            if (r.url() != null && ctx.terminal()) {
                t.link(1, r.url());
            }
        }
        t.print(ctx.out());
        if (ports.skipped() > 0) {
            ctx.err().println("banger: " + ports.skipped() + " line(s) of the guest's ss output could not be read and were skipped");
            ctx.err().flush();
        }
        return 0;
    }
}
