package dev.banger.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the agent starts for the host (an exec, attached or detached): the request's argv as given (no
 * shell), as another user through {@code setpriv}, with a login-like environment the request's own variables
 * are laid over, in the request's directory or the user's home. {@link Spawned} starts it in its own session
 * and process group, so that a signal reaches everything it started.
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

    /** A command ready to start (stdio left to the caller) and the account it runs as (null: root). */
    record Prepared(List<String> argv, Map<String, String> environment, String cwd, Users.Account account) {
        /** The same command with {@code name} set in its environment unless the request set it. */
        Prepared withDefault(String name, String value) {
            Map<String, String> env = new LinkedHashMap<>(environment);
            env.putIfAbsent(name, value);
            return new Prepared(argv, env, cwd, account);
        }
    }

    private Launch() {
    }

    /** The command of {@code request} ({@code argv}, {@code user}, {@code cwd}, {@code env}). */
    static Prepared prepare(Request request, Users users) throws Refused {
        List<String> argv = request.strings("argv");
        if (argv.isEmpty()) {
            throw new Refused(Refused.PRECONDITION, "no command: argv is empty");
        }
        List<String> command = new ArrayList<>();
        String user = request.string("user", "");
        Users.Account account = null;
        if (!user.isEmpty()) {
            account = users.find(user).orElseThrow(() -> new Refused(Refused.NOT_FOUND, "no user '" + user + "' in this VM"));
            command.addAll(List.of("setpriv", "--reuid=" + account.uid(), "--regid=" + account.gid(), "--init-groups", "--"));
        }
        command.addAll(argv);
        String home = account != null ? account.home() : "/root";
        String cwd = request.string("cwd", Files.isDirectory(Path.of(home)) ? home : "/");
        if (!Files.isDirectory(Path.of(cwd))) {
            throw new Refused(Refused.NOT_FOUND, "no directory " + Json.write(cwd) + " in this VM (the command's working directory)");
        }
        Map<String, String> env = baseEnvironment(account != null ? account.name() : "root", home);
        env.putAll(request.stringMap("env"));
        return new Prepared(List.copyOf(command), env, cwd, account);
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
}
