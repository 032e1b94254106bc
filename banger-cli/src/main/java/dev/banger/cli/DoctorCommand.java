package dev.banger.cli;

import dev.banger.core.BangerConfig;
import dev.banger.host.HostDoctor;
import java.nio.file.Files;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

final class DoctorCommand extends Verb {
    DoctorCommand(CliContext ctx) {
        super(ctx, "doctor", "Check what this host can do for banger (KVM, QEMU, taps, device-mapper, vsock, Firecracker, DNS), "
                + "each with its fix.");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.json(spec, "the checks");
    }

    /** Findings are information, not failure: banger works without KVM, vsock or device-mapper (status 0). */
    @Override
    int run(ParseResult args) throws Exception {
        BangerConfig.Settings settings = Files.exists(ctx.paths().configFile())
                ? BangerConfig.parse(Files.readString(ctx.paths().configFile()), ctx.paths().configFile().toString())
                : BangerConfig.DEFAULTS;
        return print(args, HostDoctor.checks(settings), checks -> Table.checks(ctx.out(), checks, "no"));
    }
}
