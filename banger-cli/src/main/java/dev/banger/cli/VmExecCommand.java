package dev.banger.cli;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import dev.banger.core.Text;
import dev.banger.host.Terminal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code banger vm exec NAME [-i] [-t] [-e K=V]... [-w DIR] [-u USER] [--detach] -- ARGV...}: ARGV run in the
 * VM by its guest agent exactly as given (no shell unless you call one), stdout and stderr kept apart, the exit
 * status the command's (128+N when signal N killed it, 127 when it does not exist).
 *
 * <p>{@code -t} gives the command a terminal of this one's size (docker's semantics): with {@code -i} this
 * terminal goes raw (restored on every exit) and every key, Ctrl-C included, goes to the command's terminal;
 * without {@code -i} nothing is read here, the terminal stays as it is and Ctrl-C ends banger (the command is
 * hung up). Window size changes follow (SIGWINCH).
 *
 * <p>Detached processes: {@code --detach} starts ARGV in the background and prints its id; {@code --list}
 * lists them; {@code --attach ID} joins one (its output so far, then live; stdin with {@code -i}) and exits
 * with its status once it has exited, which collects it; {@code --kill ID [--signal SIG]} signals its process
 * group (KILL by default).
 */
final class VmExecCommand extends Verb {
    /** Below the CLI's reply timeout, so that bangerd's answer (ready or not) comes first. */
    static final long READY_TIMEOUT_MS = 50_000;
    static final String DEFAULT_TERM = "xterm-256color";
    private static final Terminal.Size DEFAULT_SIZE = new Terminal.Size(24, 80);
    private static final String[] COMMAND_OPTIONS = {"--interactive", "--tty", "--env", "--workdir", "--user"};

    VmExecCommand(CliContext ctx) {
        super(ctx, "exec", "Run a command in a VM through its guest agent, argv exactly as given: banger vm exec NAME -- CMD ARGS...");
    }

    @Override
    void declare(CommandSpec spec) {
        Args.VM.declare(spec);
        spec.addOption(flag("pass this terminal's stdin to the command (without it, the command reads /dev/null)", "-i", "--interactive"));
        spec.addOption(flag("give the command a terminal (with -i: this one goes raw, keys and Ctrl-C go to the command)", "-t", "--tty"));
        spec.addOption(repeatable("NAME=VALUE", "set an environment variable (repeatable)", "-e", "--env"));
        spec.addOption(option("DIR", String.class, "working directory in the VM (absolute; default: the user's home)", "-w", "--workdir"));
        spec.addOption(option("USER", String.class, "run as this user (name or uid; default: root)", "-u", "--user"));
        spec.addOption(flag("start the command in the background and print its id (it outlives banger)", "--detach"));
        spec.addOption(flag("list the VM's detached processes", "--list"));
        spec.addOption(option("ID", String.class, "join detached process ID: its output so far and to come (stdin with -i); exits with "
                + "its status once it has exited, which collects it", "--attach"));
        spec.addOption(option("ID", String.class, "signal detached process ID and its process group (KILL unless --signal)", "--kill"));
        spec.addOption(option("SIG", String.class, "with --kill: the signal (TERM, INT, HUP, USR1, 15, ...)", "--signal"));
        Args.json(spec, "the answer of --list, --detach or --kill");
        spec.addPositional(parameter("CMD", "1..*", "0..*", "the program and its arguments (after --)"));
    }

    @Override
    int run(ParseResult args) {
        List<String> argv = args.matchedPositionals().size() > 1 ? args.matchedPositionals().get(1).stringValues() : List.of();
        String attach = args.matchedOptionValue("--attach", null);
        String kill = args.matchedOptionValue("--kill", null);
        List<String> modes = new ArrayList<>();
        for (String mode : new String[] {"--detach", "--list", "--attach", "--kill"}) {
            if (has(args, mode)) {
                modes.add(mode);
            }
        }
        if (modes.size() > 1) {
            throw usage(String.join(" and ", modes) + " do not go together: choose one");
        }
        if (has(args, "--signal") && kill == null) {
            throw usage("--signal goes with --kill ID (banger vm exec NAME --kill ID --signal TERM)");
        }
        String mode = modes.isEmpty() ? "" : modes.getFirst();
        if (!mode.isEmpty() && !mode.equals("--detach") && !argv.isEmpty()) {
            throw usage(mode + " takes no command (got '" + Text.printable(argv.getFirst(), 40) + "')");
        }
        if (Args.json(args) && (mode.isEmpty() || mode.equals("--attach"))) {
            throw usage("--json goes with --list, --detach or --kill");
        }
        return switch (mode) {
            case "--list" -> {
                refuseCommandOptions(args, mode, COMMAND_OPTIONS);
                yield print(args, ctx.daemon().call(Rpcs.VM_EXEC_LIST, new Params.VmRef(Args.VM.value(args))), this::table);
            }
            case "--kill" -> {
                refuseCommandOptions(args, mode, COMMAND_OPTIONS);
                Params.ExecSignalled s = ctx.daemon().call(Rpcs.VM_EXEC_SIGNAL,
                        new Params.VmExecSignal(Args.VM.value(args), kill, args.matchedOptionValue("--signal", null)));
                yield print(args, s, r -> println("sent " + r.signal() + " to " + r.id() + " (pid " + r.pid() + ") and its process group"));
            }
            case "--attach" -> {
                refuseCommandOptions(args, mode, "--tty", "--env", "--workdir", "--user");
                boolean interactive = has(args, "--interactive");
                try (var opened = ctx.daemon().converse(Rpcs.VM_EXEC_ATTACH, new Params.VmExecAttach(Args.VM.value(args), attach, interactive))) {
                    yield new ExecClient(opened.in(), opened.out()).run(interactive ? System.in : null, System.out, System.err,
                            "cannot attach to " + Text.printable(attach, 20));
                }
            }
            case "--detach" -> {
                if (has(args, "--tty")) {
                    throw usage("a detached command has no terminal: drop -t (its output is kept: vm exec --attach ID shows it)");
                }
                requireCommand(argv);
                Params.ExecStarted started = ctx.daemon().call(Rpcs.VM_EXEC_DETACH, new Params.VmExecDetach(Args.VM.value(args), argv,
                        environment(args.matchedOptionValue("--env", new String[0])), args.matchedOptionValue("--workdir", null),
                        args.matchedOptionValue("--user", null), has(args, "--interactive"), READY_TIMEOUT_MS));
                yield print(args, started, r -> println(r.id()));
            }
            default -> exec(args, argv);
        };
    }

    private int exec(ParseResult args, List<String> argv) {
        requireCommand(argv);
        boolean tty = has(args, "--tty");
        boolean interactive = has(args, "--interactive");
        Map<String, String> env = environment(args.matchedOptionValue("--env", new String[0]));
        Terminal.Size size = null;
        Terminal.Raw raw = null;
        if (tty) {
            env.putIfAbsent("TERM", term(ctx.env()));
            size = Terminal.size().orElse(DEFAULT_SIZE);
            if (interactive) {
                raw = Terminal.rawMode(); // refuses here, before anything runs, when stdin is not a terminal
            }
        }
        Params.VmExec request = new Params.VmExec(Args.VM.value(args), argv, env, args.matchedOptionValue("--workdir", null),
                args.matchedOptionValue("--user", null), tty, tty ? size.rows() : null, tty ? size.cols() : null, interactive, false,
                READY_TIMEOUT_MS);
        try (var opened = ctx.daemon().converse(Rpcs.VM_EXEC, request)) {
            ExecClient client = new ExecClient(opened.in(), opened.out());
            if (tty) {
                Terminal.onResize(() -> Terminal.size().ifPresent(s -> client.resize(s.rows(), s.cols())));
            }
            if (raw != null) {
                raw.enter();
            }
            return client.run(interactive ? System.in : null, System.out, System.err, "the VM's agent could not run the command");
        } finally {
            if (raw != null) {
                raw.close();
            }
        }
    }

    /** The guest terminal's type: this one's, unless it has none worth passing on. */
    static String term(Map<String, String> env) {
        String term = env.get("TERM");
        return term == null || term.isBlank() || term.equals("dumb") || !term.matches("[A-Za-z0-9._+-]{1,64}") ? DEFAULT_TERM : term;
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

    private void table(Params.ExecProcesses list) {
        Table t = new Table("ID", "PID", "STATE", "AGE", "COMMAND");
        for (Params.ExecProcess p : list.processes()) {
            String state = p.exitStatus() != null ? "exited (" + p.exitStatus() + ")" : p.attached() ? "running, attached" : "running";
            t.row(p.id(), Long.toString(p.pid()), state, Durations.shortForm(Duration.ofMillis(p.ageMs())),
                    Text.printable(String.join(" ", p.argv()), 80));
        }
        t.print(ctx.out());
        long exited = list.processes().stream().filter(p -> p.exitStatus() != null).count();
        if (list.processes().size() >= list.max()) {
            warn("this VM holds " + list.max() + " detached processes, the most it may: collect an exited one with --attach ID");
        } else if (exited > 0) {
            warn(exited + " exited process(es) keep their status until collected: banger vm exec " + list.vm() + " --attach ID");
        }
    }

    private static void requireCommand(List<String> argv) {
        if (argv.isEmpty()) {
            throw usage("no command: give the program and its arguments after '--' (banger vm exec NAME -- uname -a)");
        }
    }

    private static void refuseCommandOptions(ParseResult args, String mode, String... options) {
        for (String o : options) {
            if (has(args, o)) {
                throw usage(mode + " takes no " + o + " (it is for running a command)");
            }
        }
    }

    private static BangerException usage(String message) {
        return new BangerException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
