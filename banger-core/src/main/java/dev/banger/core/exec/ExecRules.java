package dev.banger.core.exec;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Text;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a command to run in a VM may be (vm.exec), decided before anything is sent to the guest: every
 * refusal says what to change. The request must fit one channel frame, so the sizes are bounded as a whole.
 */
public final class ExecRules {
    /** The request to the agent rides in one frame's payload (64 KiB); this leaves room for its JSON. */
    public static final int MAX_REQUEST_BYTES = 48 * 1024;
    public static final int MAX_ARGS = 4096;
    public static final int MAX_ENV = 1024;
    public static final int MAX_TERMINAL_SIZE = 10_000;
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** POSIX portable user names (and numeric ids), as useradd takes them. */
    private static final Pattern USER = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|[0-9]{1,10}");
    /** A detached process's id as the guest agent makes them. */
    private static final Pattern PROCESS_ID = Pattern.compile("[0-9a-f]{8}");
    /** Linux's standard signals (x86-64, arm64) by number: what vm exec --kill may send. */
    private static final List<String> SIGNALS = List.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
            "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
            "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS");

    /** A command checked and normalised: what is sent to the agent. */
    public record Command(List<String> argv, Map<String, String> env, String cwd, String user, boolean tty, int rows, int cols,
                          boolean stdin, boolean keep) {
    }

    /** A signal by its name (without SIG) and number. */
    public record Signal(String name, int number) {
    }

    private ExecRules() {
    }

    /**
     * A command to start detached ({@code vm exec --detach}): the rules of {@link #check}, without a terminal
     * (nobody would be there to type) and always kept running when the client goes (that is the point).
     */
    public static Command checkDetached(List<String> argv, Map<String, String> env, String cwd, String user, Boolean stdin) {
        Command c = check(argv, env, cwd, user, false, null, null, stdin, true);
        return new Command(c.argv(), c.env(), c.cwd(), c.user(), false, c.rows(), c.cols(), Boolean.TRUE.equals(stdin), true);
    }

    /**
     * Whether {@code user} has the shape of a user to run a command as: a POSIX portable user name (at most 32
     * characters) or a numeric id. Whether the guest has that user is the agent's to say.
     */
    public static boolean isUser(String user) {
        return user != null && USER.matcher(user).matches();
    }

    /** A detached process's id as given by a caller: what the agent made ({@code vm exec --detach} printed it). */
    public static String processId(String id) {
        if (id == null || id.isEmpty()) {
            throw invalid("no process id: give the id vm exec --detach printed (vm exec --list NAME shows them)");
        }
        if (!PROCESS_ID.matcher(id).matches()) {
            throw invalid("'" + Text.printable(id, 40) + "' is not a detached process's id: 8 hex digits, as vm exec --detach printed "
                    + "(vm exec --list NAME shows them)");
        }
        return id;
    }

    /**
     * A signal named as kill(1) takes it: TERM, SIGTERM, term, or its number (15). Only Linux's standard
     * signals, 1 to 31; the default (null or empty) is KILL.
     */
    public static Signal signal(String signal) {
        if (signal == null || signal.isEmpty()) {
            return new Signal("KILL", 9);
        }
        String s = signal.toUpperCase(Locale.ROOT);
        if (s.chars().allMatch(Character::isDigit) && s.length() <= 2) {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= SIGNALS.size()) {
                return new Signal(SIGNALS.get(n - 1), n);
            }
        }
        int at = SIGNALS.indexOf(s.startsWith("SIG") ? s.substring(3) : s);
        if (at < 0) {
            throw invalid("'" + Text.printable(signal, 20) + "' is not a signal: a name such as TERM, INT, HUP, KILL, USR1, or a number "
                    + "from 1 to " + SIGNALS.size());
        }
        return new Signal(SIGNALS.get(at), at + 1);
    }

    public static Command check(List<String> argv, Map<String, String> env, String cwd, String user, Boolean tty, Integer rows,
                                Integer cols, Boolean stdin, Boolean keep) {
        if (argv == null || argv.isEmpty()) {
            throw invalid("no command: give the program and its arguments after '--' (banger vm exec NAME -- uname -a)");
        }
        if (argv.size() > MAX_ARGS) {
            throw invalid("too many arguments (" + argv.size() + "): at most " + MAX_ARGS);
        }
        long bytes = 0;
        for (String a : argv) {
            if (a == null) {
                throw invalid("an argument is null: every argument is a string");
            }
            noNul("an argument", a);
            bytes += utf8(a) + 8;
        }
        if (argv.getFirst().isEmpty()) {
            throw invalid("the program to run is an empty string");
        }
        Map<String, String> environment = new LinkedHashMap<>();
        if (env != null) {
            if (env.size() > MAX_ENV) {
                throw invalid("too many environment variables (" + env.size() + "): at most " + MAX_ENV);
            }
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (e.getKey() == null || !ENV_NAME.matcher(e.getKey()).matches()) {
                    throw invalid("environment variable name '" + Text.printable(String.valueOf(e.getKey()), 40)
                            + "' is not valid: letters, digits and '_', not starting with a digit (-e NAME=VALUE)");
                }
                if (e.getValue() == null) {
                    throw invalid("environment variable " + e.getKey() + " has no value (-e " + e.getKey() + "=VALUE; an empty value is -e "
                            + e.getKey() + "=)");
                }
                noNul("environment variable " + e.getKey(), e.getValue());
                bytes += utf8(e.getKey()) + utf8(e.getValue()) + 8;
                environment.put(e.getKey(), e.getValue());
            }
        }
        String dir = cwd == null ? "" : cwd;
        if (!dir.isEmpty()) {
            noNul("the working directory", dir);
            if (!dir.startsWith("/")) {
                throw invalid("the working directory '" + Text.printable(dir, 80) + "' must be an absolute path in the VM (-w /work)");
            }
            bytes += utf8(dir);
        }
        String who = user == null ? "" : user;
        if (!who.isEmpty() && !isUser(who)) {
            throw invalid("user '" + Text.printable(who, 40) + "' is not a valid user name or id (-u root, -u 1000)");
        }
        if (bytes > MAX_REQUEST_BYTES) {
            throw invalid("the command, its environment and directory come to " + bytes / 1024 + " KiB: at most "
                    + MAX_REQUEST_BYTES / 1024 + " KiB (pass large data on stdin, or in a file with vm cp)");
        }
        boolean terminal = Boolean.TRUE.equals(tty);
        int r = rows == null ? 24 : rows;
        int c = cols == null ? 80 : cols;
        if (r < 1 || r > MAX_TERMINAL_SIZE || c < 1 || c > MAX_TERMINAL_SIZE) {
            throw invalid("terminal size " + r + "x" + c + " is out of range (1 to " + MAX_TERMINAL_SIZE + " rows and columns)");
        }
        return new Command(List.copyOf(argv), environment, dir, who, terminal, r, c, stdin == null || stdin, Boolean.TRUE.equals(keep));
    }

    private static void noNul(String what, String s) {
        if (s.indexOf('\0') >= 0) {
            throw invalid(what + " contains a NUL byte, which no program can receive");
        }
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static BangerException invalid(String message) {
        return new BangerException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
