package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.BangerVersion;
import dev.banger.api.Methods;
import dev.banger.api.Params;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VersionCommand extends Verb {

    VersionCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "version";
    }

    @Override
    String description() {
        return "Print the versions of banger and of a running bangerd.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(jsonFlag("the versions"));
    }

    @Override
    int run(ParseResult args) {
        String daemonVersion = null;
        DaemonClient daemon = ctx.existingDaemon();
        if (daemon.reachable()) {
            try {
                daemonVersion = daemon.call(Methods.DAEMON_STATUS, null, Params.DaemonStatus.class).version();
            } catch (BangerException e) {
                daemonVersion = "unknown (" + e.getMessage() + ")";
            }
        }
        if (has(args, "--json")) {
            Map<String, String> v = new LinkedHashMap<>();
            v.put("banger", BangerVersion.current());
            v.put("bangerd", daemonVersion);
            v.put("java", Runtime.version().toString());
            printJson(v);
        } else {
            println("banger  " + BangerVersion.current() + " (Java " + Runtime.version() + ")");
            println("bangerd " + (daemonVersion == null ? "not running" : daemonVersion));
        }
        return 0;
    }

}
