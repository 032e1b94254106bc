package dev.banger.cli;

import dev.banger.api.BangerVersion;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command tree: banger [vm|image|daemon|doctor|version|completion] ... Building a verb's picocli model
 * costs about half a millisecond, and the CLI starts for every command, so a command line that names a verb
 * ({@code banger vm list --json}) gets a tree of that verb alone: parsing it, its help and its errors need no
 * other (and the verb may start work its command line does not change, see {@link Verb#named}). Any other line
 * (a group alone, help, a typo picocli should answer with suggestions) gets them all.
 */
final class Commands {
    /** A group of verbs: banger NAME VERB ...; a name of several words ("e2b key") nests, each word a command. */
    private record Group(String name, String description, List<Verb> verbs) {
        List<String> words() {
            return List.of(name.split(" "));
        }

        /** Whether {@code args} start with this group's words and then one more (the verb's). */
        boolean leads(String... args) {
            List<String> words = words();
            return args.length > words.size() && List.of(args).subList(0, words.size()).equals(words);
        }
    }

    /** What a group that only holds groups is for. */
    private static final java.util.Map<String, String> GROUP_DESCRIPTIONS = java.util.Map.of(
            "e2b", "The E2B-compatible API served by bangerd: its API keys.");

    private Commands() {
    }

    /** The whole tree. */
    static CommandLine tree(CliContext ctx) {
        return build(groups(ctx), topVerbs(ctx));
    }

    /** The tree {@code args} need: the verb they name alone, else the whole tree. */
    static CommandLine tree(CliContext ctx, String... args) {
        List<Group> groups = groups(ctx);
        List<Verb> top = topVerbs(ctx);
        if (args.length >= 1) {
            for (Verb verb : top) {
                if (verb.answersTo(args[0])) {
                    verb.named();
                    return build(List.of(), List.of(verb));
                }
            }
        }
        if (args.length >= 2) {
            for (Group group : groups) {
                for (Verb verb : group.leads(args) ? group.verbs() : List.<Verb>of()) {
                    if (verb.answersTo(args[group.words().size()])) {
                        verb.named();
                        return build(List.of(new Group(group.name(), group.description(), List.of(verb))), List.of());
                    }
                }
            }
        }
        return build(groups, top);
    }

    private static List<Group> groups(CliContext ctx) {
        return List.of(new Group("vm", "Run, create, start, stop, inspect and delete VMs.", VmVerbs.all(ctx)),
                new Group("image", "Build, import, list, verify, warm and delete guest images.", ImageVerbs.all(ctx)),
                new Group("snapshot", "List, show and remove snapshots (taken by 'vm snapshot', 'vm fork' and 'image warm').",
                        SnapshotVerbs.all(ctx)),
                new Group("daemon", "Inspect, stop or tear down bangerd.", DaemonVerbs.all(ctx)),
                new Group("e2b key", "Make, list and revoke API keys of the E2B-compatible API ([e2b] in config.toml).",
                        E2bVerbs.all(ctx)));
    }

    private static List<Verb> topVerbs(CliContext ctx) {
        return List.of(new DoctorCommand(ctx), new VersionCommand(ctx), new CompletionCommand(ctx));
    }

    private static CommandLine build(List<Group> groups, List<Verb> top) {
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
        for (Group group : groups) {
            CommandLine parent = cl;
            List<String> words = group.words();
            for (int i = 0; i < words.size(); i++) {
                CommandLine existing = parent.getSubcommands().get(words.get(i));
                if (existing == null) {
                    CommandSpec spec = CommandSpec.create().name(words.get(i));
                    spec.usageMessage().description(i == words.size() - 1 ? group.description() : GROUP_DESCRIPTIONS.get(words.get(i)))
                            .commandListHeading("%nCommands:%n");
                    spec.addOption(helpOption());
                    existing = new CommandLine(spec);
                    parent.addSubcommand(words.get(i), existing);
                }
                parent = existing;
            }
            CommandLine groupLine = parent;
            group.verbs().forEach(verb -> add(groupLine, verb));
        }
        top.forEach(verb -> add(cl, verb));
        return cl;
    }

    static OptionSpec helpOption() {
        return OptionSpec.builder("-h", "--help").usageHelp(true).arity("0").type(boolean.class)
                .description("Show this help and exit.").build();
    }

    private static void add(CommandLine parent, Verb verb) {
        parent.addSubcommand(verb.name(), new CommandLine(verb.spec()), verb.aliases());
    }
}
