package dev.banger.cli;

import dev.banger.api.ClientJson;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * One CLI verb: its name, its command-line model and what it does. Models are built in code rather than
 * from annotations: picocli's annotation scanning costs ~200 ms per run that no AOT cache can remove
 * (picocli's Java 5 class files cannot be archived once linked), and the CLI must start fast. Pieces that
 * several verbs take (a VM or image positional, --json, --force, the VM spec) are declared once, in
 * {@link Args} and {@link VmSpecOptions}.
 */
abstract class Verb {
    protected final CliContext ctx;
    private final String name;
    private final String description;
    private final String[] aliases;

    Verb(CliContext ctx, String name, String description, String... aliases) {
        this.ctx = ctx;
        this.name = name;
        this.description = description;
        this.aliases = aliases;
    }

    final String name() {
        return name;
    }

    final String[] aliases() {
        return aliases.clone();
    }

    /** Whether {@code word} is this verb's name or one of its aliases. */
    final boolean answersTo(String word) {
        if (name.equals(word)) {
            return true;
        }
        for (String alias : aliases) {
            if (alias.equals(word)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Called when a command line names this verb, before picocli builds its model and parses: a verb may start
     * here, on another thread, work that its options do not change. Nothing by default.
     */
    void named() {
    }

    /** Adds the verb's options and parameters; called once when the command tree is built. */
    abstract void declare(CommandSpec spec);

    abstract int run(ParseResult args) throws Exception;

    final CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name(name).aliases(aliases);
        spec.usageMessage().description(description);
        spec.addOption(Commands.helpOption());
        declare(spec);
        return spec;
    }

    // -- helpers for declare() and run()

    static OptionSpec flag(String description, String... names) {
        return OptionSpec.builder(names).type(boolean.class).arity("0").description(description).build();
    }

    static OptionSpec option(String label, Class<?> type, String description, String... names) {
        return OptionSpec.builder(names).paramLabel(label).type(type).description(description).build();
    }

    /** An option that may be given many times, each with one value (read back as a String[]). */
    static OptionSpec repeatable(String label, String description, String... names) {
        return OptionSpec.builder(names).paramLabel(label).type(String[].class).arity("1").description(description).build();
    }

    /** A positional parameter at {@code index}; one whose arity asks for at least one value is required. */
    static PositionalParamSpec parameter(String label, String index, String arity, String description) {
        picocli.CommandLine.Range range = picocli.CommandLine.Range.valueOf(arity);
        PositionalParamSpec.Builder b = PositionalParamSpec.builder().index(index).paramLabel(label).arity(arity)
                .required(range.min() > 0).description(description);
        boolean many = range.max() > 1;
        return (many ? b.type(java.util.List.class).auxiliaryTypes(String.class) : b.type(String.class)).build();
    }

    static boolean has(ParseResult args, String option) {
        return args.hasMatchedOption(option);
    }

    /** Prints {@code value} as JSON when the command line has --json, else as {@code text} writes it; status 0. */
    protected <T> int print(ParseResult args, T value, Consumer<T> text) {
        if (Args.json(args)) {
            ctx.out().println(ClientJson.pretty(value));
            ctx.out().flush();
        } else {
            text.accept(value);
        }
        return 0;
    }

    protected void println(String line) {
        ctx.out().println(line);
        ctx.out().flush();
    }

    /** A line on stderr ("banger: " + text): warnings and per-item failures that do not end the command. */
    protected void warn(String text) {
        ctx.err().println("banger: " + text);
        ctx.err().flush();
    }
}
