package dev.banger.cli;

import dev.banger.api.BangerVersion;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The command tree: banger [vm|daemon|version|completion] ... */
final class Commands {
    private Commands() {
    }

    static CommandLine tree(CliContext ctx) {
        CommandSpec root = CommandSpec.create().name("banger").version("banger " + BangerVersion.current());
        root.usageMessage()
                .description("Disposable, fast, isolated Linux VMs on this host.",
                        "State lives in BANGER_HOME (default /var/lib/banger); bangerd starts on demand.")
                .commandListHeading("%nCommands:%n")
                .footer("", "Exit status: 0 success, 1 failure, 2 usage error.");
        root.addOption(helpOption());
        root.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).arity("0").type(boolean.class)
                .description("Print the version and exit.").build());
        CommandLine cl = new CommandLine(root);
        cl.addSubcommand("vm", group("vm", "Run, create, start, stop, inspect and delete VMs.", VmVerbs.all(ctx)));
        cl.addSubcommand("image", group("image", "Build, import, list, verify and delete guest images.", ImageVerbs.all(ctx)));
        cl.addSubcommand("daemon", group("daemon", "Inspect, stop or tear down bangerd.", DaemonVerbs.all(ctx)));
        add(cl, new DoctorCommand(ctx));
        add(cl, new VersionCommand(ctx));
        add(cl, new CompletionCommand(ctx));
        return cl;
    }

    static OptionSpec helpOption() {
        return OptionSpec.builder("-h", "--help").usageHelp(true).arity("0").type(boolean.class)
                .description("Show this help and exit.").build();
    }

    private static CommandLine group(String name, String description, List<Verb> verbs) {
        CommandSpec spec = CommandSpec.create().name(name);
        spec.usageMessage().description(description).commandListHeading("%nCommands:%n");
        spec.addOption(helpOption());
        CommandLine cl = new CommandLine(spec);
        for (Verb v : verbs) {
            add(cl, v);
        }
        return cl;
    }

    private static void add(CommandLine parent, Verb verb) {
        parent.addSubcommand(verb.name(), new CommandLine(verb.spec()), verb.aliases());
    }
}
