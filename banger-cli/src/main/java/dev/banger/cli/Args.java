package dev.banger.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** Command-line pieces several verbs take, each declared once and read back the same way everywhere. */
final class Args {
    /** The VM a verb acts on: its first positional parameter. */
    static final Target VM = new Target("VM", "name or id");
    /** The image a verb acts on: its first positional parameter. */
    static final Target IMAGE = new Target("IMAGE", "image name");
    /** The snapshot a verb acts on: its first positional parameter. */
    static final Target SNAPSHOT = new Target("SNAP", "snapshot name or id");

    private Args() {
    }

    /** The one thing a verb acts on, named by its first positional parameter. */
    record Target(String label, String description) {
        void declare(CommandSpec spec) {
            spec.addPositional(Verb.parameter(label, "0", "1", description));
        }

        String value(ParseResult args) {
            return args.matchedPositional(0).getValue();
        }
    }

    /** --json: the verb prints {@code what} as JSON instead of text. */
    static void json(CommandSpec spec, String what) {
        spec.addOption(Verb.flag("print " + what + " as JSON", "--json"));
    }

    static boolean json(ParseResult args) {
        return args.hasMatchedOption("--json");
    }

    /** -f, --force: {@code description} says what it forces. */
    static void force(CommandSpec spec, String description) {
        spec.addOption(Verb.flag(description, "-f", "--force"));
    }

    static boolean force(ParseResult args) {
        return args.hasMatchedOption("--force");
    }
}
