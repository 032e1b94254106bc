package dev.banger.cli;

import dev.banger.api.Rpc;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * A verb that is one call to bangerd: the command line gives the request, the answer is printed as text
 * or, with --json, as JSON. Most verbs are one (list, show, ports, stop, rm, status, ...) and are declared
 * as data in {@link VmVerbs}, {@link ImageVerbs} and {@link DaemonVerbs}; verbs that do more are classes.
 */
final class CallVerb<P, R> extends Verb {
    private final Rpc<P, R> rpc;
    private Consumer<CommandSpec> options = spec -> { };
    private Function<ParseResult, P> request = args -> null;
    private String json;
    private BiConsumer<R, CliContext> text = (result, c) -> { };
    private ToIntFunction<R> status = result -> 0;
    private boolean progress;
    private boolean startsDaemon = true;

    CallVerb(CliContext ctx, String name, String description, Rpc<P, R> rpc, String... aliases) {
        super(ctx, name, description, aliases);
        this.rpc = rpc;
    }

    /** The request names what the verb's one positional parameter names (a VM, an image). */
    CallVerb<P, R> on(Args.Target target, Function<String, P> toRequest) {
        return request(target::declare, args -> toRequest.apply(target.value(args)));
    }

    /** The verb's own options and parameters, and the request made of them. */
    CallVerb<P, R> request(Consumer<CommandSpec> declare, Function<ParseResult, P> toRequest) {
        this.options = declare;
        this.request = toRequest;
        return this;
    }

    /** Offers --json, which prints {@code what} (the answer) as JSON instead of text. */
    CallVerb<P, R> json(String what) {
        this.json = what;
        return this;
    }

    /** How the answer is written as text. */
    CallVerb<P, R> text(BiConsumer<R, CliContext> writer) {
        this.text = writer;
        return this;
    }

    /** The exit status an answer means (0 unless said). */
    CallVerb<P, R> status(ToIntFunction<R> of) {
        this.status = of;
        return this;
    }

    /** A long call: its progress is shown on stderr. */
    CallVerb<P, R> withProgress() {
        this.progress = true;
        return this;
    }

    /** Asks only a daemon that runs already, never starting one. */
    CallVerb<P, R> onlyWhenRunning() {
        this.startsDaemon = false;
        return this;
    }

    /** The answer's deserializer (for vm.list, the records of a VM and their parts) is built while picocli parses. */
    @Override
    void named() {
        DaemonClient.prepareFor(rpc);
    }

    @Override
    void declare(CommandSpec spec) {
        options.accept(spec);
        if (json != null) {
            Args.json(spec, json);
        }
    }

    @Override
    int run(ParseResult args) {
        P params = request.apply(args);
        R answer = progress ? ProgressPrinter.call(ctx, rpc, params)
                : (startsDaemon ? ctx.daemon() : ctx.existingDaemon()).call(rpc, params);
        print(args, answer, a -> {
            text.accept(a, ctx);
            ctx.out().flush();
        });
        return status.applyAsInt(answer);
    }
}
