package dev.banger.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How the agent starts a command the host asked for (an exec, attached or detached): its argv exec'd as
 * given (no shell) in its own session and process group ({@code setsid}, so that a signal reaches everything
 * it started), as another user through {@code setpriv}, with a login-like environment the request's own
 * variables are laid over, in the request's directory or the user's home.
 */
final class Launch {
    /**
     * What the host asked for cannot be done: the text says why, for the host's user; {@code kind} says which
     * way (the daemon maps it to its error kinds): {@code not_found}, {@code exhausted} or {@code precondition}.
     */
    static final class Refused extends Exception {
        static final String NOT_FOUND = "not_found";
        static final String EXHAUSTED = "exhausted";
        static final String PRECONDITION = "precondition";

        final String kind;

        Refused(String kind, String message) {
            super(message);
            this.kind = kind;
        }
    }

    /** A command ready to start: its builder (stdio left to the caller) and the account it runs as (null: root). */
    record Prepared(ProcessBuilder builder, Users.Account account) {
    }

    private Launch() {
    }

    /**
     * The command of {@code request} ({@code argv}, {@code user}, {@code cwd}, {@code env}); with
     * {@code terminal}, the session takes its stdin as controlling terminal ({@code setsid --ctty}).
     */
    static Prepared prepare(Request request, Users users, boolean terminal) throws Refused {
        List<String> argv = request.strings("argv");
        if (argv.isEmpty()) {
            throw new Refused(Refused.PRECONDITION, "no command: argv is empty");
        }
        List<String> command = new ArrayList<>(terminal ? List.of("setsid", "--ctty", "--") : List.of("setsid", "--"));
        String user = request.string("user", "");
        Users.Account account = null;
        if (!user.isEmpty()) {
            account = users.find(user).orElseThrow(() -> new Refused(Refused.NOT_FOUND, "no user '" + user + "' in this VM"));
            command.addAll(List.of("setpriv", "--reuid=" + account.uid(), "--regid=" + account.gid(), "--init-groups", "--"));
        }
        command.addAll(argv);
        String home = account != null ? account.home() : "/root";
        String cwd = request.string("cwd", Files.isDirectory(Path.of(home)) ? home : "/");
        ProcessBuilder pb = new ProcessBuilder(command).directory(new File(cwd));
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(baseEnvironment(account != null ? account.name() : "root", home));
        env.putAll(request.stringMap("env"));
        return new Prepared(pb, account);
    }

    /** What a login would give: a plain environment the request's own variables are laid over. */
    static Map<String, String> baseEnvironment(String user, String home) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", home);
        env.put("USER", user);
        env.put("LOGNAME", user);
        env.put("LANG", "C.UTF-8");
        return env;
    }

    /** kill(1) to the process group {@code pid} leads (every command is its own group), by signal name or number. */
    static void signalGroup(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-s", signal, "--", "-" + pid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no kill(1): nothing else can signal a group from Java
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
