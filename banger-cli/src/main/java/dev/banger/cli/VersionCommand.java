package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.BangerVersion;
import dev.banger.api.Rpcs;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class VersionCommand extends Verb {
    VersionCommand(CliContext ctx) {
        super(ctx, "version", "Print the versions of banger and of a running bangerd.");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.json(spec, "the versions");
    }

    @Override
    int run(ParseResult args) {
        String daemonVersion = null;
        DaemonClient daemon = ctx.existingDaemon();
        if (daemon.reachable()) {
            try {
                daemonVersion = daemon.call(Rpcs.DAEMON_STATUS).version();
            } catch (BangerException e) {
                daemonVersion = "unknown (" + e.getMessage() + ")";
            }
        }
        Map<String, String> versions = new LinkedHashMap<>();
        versions.put("banger", BangerVersion.current());
        versions.put("bangerd", daemonVersion);
        versions.put("java", Runtime.version().toString());
        return print(args, versions, v -> {
            println("banger  " + v.get("banger") + " (Java " + v.get("java") + ")");
            println("bangerd " + (v.get("bangerd") == null ? "not running" : v.get("bangerd")));
        });
    }
}
