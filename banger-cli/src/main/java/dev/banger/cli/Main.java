package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/** banger's entry point. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // What every call to bangerd needs and no command line changes is made on other threads while picocli
        // builds the tree and parses: Jackson's mapper (~20 ms) with the envelope's (de)serializers, and the JDK's
        // Unix socket support (its native libraries, its provider found on the class path, ~10 ms).
        Thread.ofPlatform().daemon().name("warm-up-json").start(DaemonClient::warmUpJson);
        Thread.ofPlatform().daemon().name("warm-up-socket").start(DaemonClient::warmUpSocket);
        PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, false, StandardCharsets.UTF_8);
        String install = System.getProperty("banger.install");
        CliContext ctx = CliContext.of(out, err, System.getenv(), install == null ? null : Path.of(install), System.console() != null);
        int status = run(ctx, args);
        out.flush();
        err.flush();
        // Success returns: System.exit would cost ~7 ms more, since Runtime.exit asks for a System.Logger (it may
        // log the exit), which starts java.util.logging and scans the class path for a LoggerFinder.
        if (status != ErrorCode.ExitStatus.SUCCESS) {
            System.exit(status);
        }
    }

    /** Runs one command line; returns the exit status (0 success, 1 failure, 2 usage error). */
    public static int run(CliContext ctx, String... args) {
        CommandLine cl = Commands.tree(ctx, args);
        cl.setOut(ctx.out());
        cl.setErr(ctx.err());
        cl.setExecutionExceptionHandler((thrown, commandLine, parseResult) -> {
            Throwable e = thrown instanceof CommandLine.ExecutionException && thrown.getCause() != null ? thrown.getCause() : thrown;
            if (e instanceof BangerException b) {
                ctx.err().println("banger: " + b.getMessage());
                ctx.err().flush();
                return b.code().exitStatus();
            }
            ctx.err().println("banger: internal error: " + e);
            ctx.err().flush();
            return ErrorCode.ExitStatus.FAILURE;
        });
        cl.setExecutionStrategy(Main::execute);
        return cl.execute(args);
    }

    /** Help and version requests first; then the verb the command line ends in. */
    private static int execute(CommandLine.ParseResult parsed) throws CommandLine.ExecutionException {
        Integer help = CommandLine.executeHelpRequest(parsed);
        if (help != null) {
            return help;
        }
        CommandLine.ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        CommandLine cl = leaf.commandSpec().commandLine();
        if (!(leaf.commandSpec().userObject() instanceof Verb verb)) {
            // A group such as 'banger vm' without a verb: show what it offers.
            cl.usage(cl.getErr());
            return ErrorCode.ExitStatus.USAGE;
        }
        try {
            return verb.run(leaf);
        } catch (BangerException e) {
            throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
        } catch (Exception e) {
            throw new CommandLine.ExecutionException(cl, String.valueOf(e), e);
        }
    }
}
