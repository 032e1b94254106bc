package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code banger vm exec NAME [-i] [-e K=V]... [-w DIR] [-u USER] -- ARGV...}: ARGV run in the VM by its
 * guest agent exactly as given (no shell unless you call one), stdout and stderr kept apart, the exit
 * status the command's (128+N when signal N killed it, 127 when it does not exist).
 */
final class VmExecCommand extends Verb {
    /** Below the CLI's reply timeout, so that bangerd's answer (ready or not) comes first. */
    static final long READY_TIMEOUT_MS = 50_000;

    VmExecCommand(CliContext ctx) {
        super(ctx, "exec", "Run a command in a VM through its guest agent, argv exactly as given: banger vm exec NAME -- CMD ARGS...");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.VM.declare(spec);
        spec.addOption(flag("pass this terminal's stdin to the command (without it, the command reads /dev/null)", "-i", "--interactive"));
        spec.addOption(repeatable("NAME=VALUE", "set an environment variable (repeatable)", "-e", "--env"));
        spec.addOption(option("DIR", String.class, "working directory in the VM (absolute; default: the user's home)", "-w", "--workdir"));
        spec.addOption(option("USER", String.class, "run as this user (name or uid; default: root)", "-u", "--user"));
        spec.addPositional(parameter("CMD", "1..*", "1..*", "the program and its arguments (after --)"));
    }

    @Override
    int run(ParseResult args) {
        List<String> argv = args.matchedPositionals().size() > 1 ? args.matchedPositionals().get(1).stringValues() : List.of();
        boolean interactive = args.hasMatchedOption("--interactive");
        Params.VmExec request = new Params.VmExec(Args.VM.value(args), argv, environment(args.matchedOptionValue("--env", new String[0])),
                args.matchedOptionValue("--workdir", null), args.matchedOptionValue("--user", null), false, null, null, interactive, false,
                READY_TIMEOUT_MS);
        try (var opened = ctx.daemon().converse(Rpcs.VM_EXEC, request)) {
            return ExecClient.run(opened.in(), opened.out(), interactive ? System.in : null, System.out, System.err);
        }
    }

    /** -e NAME=VALUE pairs (the first '=' splits; a value may hold more). */
    static Map<String, String> environment(String[] pairs) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new BangerException(ErrorCode.INVALID_ARGUMENT, "-e takes NAME=VALUE, got '" + pair + "' (an empty value is NAME=)");
            }
            env.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return env;
    }
}
