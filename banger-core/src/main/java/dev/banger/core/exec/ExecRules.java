package dev.banger.core.exec;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.Text;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** A command checked and normalised: what is sent to the agent. */
    public record Command(List<String> argv, Map<String, String> env, String cwd, String user, boolean tty, int rows, int cols,
                          boolean stdin, boolean keep) {
    }

    private ExecRules() {
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
        if (!who.isEmpty() && !USER.matcher(who).matches()) {
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
