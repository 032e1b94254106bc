package dev.banger.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Model.PositionalParamSpec;

final class CompletionCommand extends Verb {
    enum Shell { bash, zsh }

    CompletionCommand(CliContext ctx) {
        super(ctx, "completion", "Print a shell completion script: source <(banger completion bash), or zsh.");
    }

    @Override
    void declare(CommandSpec spec) {
        spec.addPositional(PositionalParamSpec.builder().paramLabel("SHELL").arity("1").type(Shell.class)
                .description("bash or zsh").build());
    }

    @Override
    int run(ParseResult args) {
        Shell shell = args.matchedPositional(0).getValue();
        // The tree this command line was parsed with holds this verb alone: completion needs them all.
        String script = AutoComplete.bash("banger", Commands.tree(ctx));
        if (shell == Shell.zsh) {
            // picocli's script is written for bash; zsh runs it through its bash compatibility layer.
            ctx.out().println("autoload -U +X compinit && compinit");
            ctx.out().println("autoload -U +X bashcompinit && bashcompinit");
        }
        ctx.out().print(script);
        ctx.out().flush();
        return 0;
    }
}
