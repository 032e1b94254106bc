package dev.banger.cli;

import dev.banger.api.Json;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * One CLI verb: its command-line model and what it does. Models are built in code rather than from
 * annotations: picocli's annotation scanning costs ~200 ms per run that no AOT cache can remove
 * (picocli's Java 5 class files cannot be archived once linked), and the CLI must start fast.
 */
abstract class Verb {
    protected final CliContext ctx;

    Verb(CliContext ctx) {
        this.ctx = ctx;
    }

    abstract String name();

    abstract String description();

    /** Adds the verb's options and parameters; called once when the command tree is built. */
    abstract void declare(CommandSpec spec);

    abstract int run(ParseResult args) throws Exception;

    String[] aliases() {
        return new String[0];
    }

    final CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name(name()).aliases(aliases());
        spec.usageMessage().description(description());
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

    static PositionalParamSpec parameter(String label, String arity, String description) {
        return parameter(label, "0..*", arity, description);
    }

    /** A positional parameter at {@code index} (needed as soon as a verb has more than one). */
    static PositionalParamSpec parameter(String label, String index, String arity, String description) {
        PositionalParamSpec.Builder b = PositionalParamSpec.builder().index(index).paramLabel(label).arity(arity).description(description);
        boolean many = picocli.CommandLine.Range.valueOf(arity).max() > 1;
        return (many ? b.type(java.util.List.class).auxiliaryTypes(String.class) : b.type(String.class)).build();
    }

    static OptionSpec jsonFlag(String what) {
        return flag("print " + what + " as JSON", "--json");
    }

    static boolean has(ParseResult args, String option) {
        return args.hasMatchedOption(option);
    }

    protected void printJson(Object value) {
        ctx.out().println(Json.pretty(value));
        ctx.out().flush();
    }

    protected void println(String line) {
        ctx.out().println(line);
        ctx.out().flush();
    }
}
