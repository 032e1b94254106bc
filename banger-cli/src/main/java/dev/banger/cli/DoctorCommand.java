package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.core.BangerConfig;
import dev.banger.host.HostDoctor;
import java.nio.file.Files;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class DoctorCommand extends Verb {
    DoctorCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    String name() {
        return "doctor";
    }

    @Override
    String description() {
        return "Check what this host can do for banger (KVM, QEMU, taps, device-mapper, vsock, Firecracker, DNS), each with its fix.";
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addOption(jsonFlag("the checks"));
    }

    @Override
    int run(ParseResult args) throws Exception {
        BangerConfig.Settings settings = Files.exists(ctx.paths().configFile())
                ? BangerConfig.parse(Files.readString(ctx.paths().configFile()), ctx.paths().configFile().toString())
                : BangerConfig.DEFAULTS;
        var checks = HostDoctor.checks(settings);
        if (has(args, "--json")) {
            printJson(checks);
            return 0;
        }
        Table t = new Table("CHECK", "RESULT", "DETAIL");
        for (Params.Check c : checks) {
            t.row(c.name(), c.ok() ? "ok" : "no", c.detail());
        }
        t.print(ctx.out());
        // Findings are information, not failure: banger works without KVM, vsock or device-mapper.
        return 0;
    }
}
