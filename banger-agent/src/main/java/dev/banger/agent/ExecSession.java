package dev.banger.agent;

import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One command run for the host over one stream ({@link Exec}'s records): its argv exec'd as given (no
 * shell), in its own session and process group ({@code setsid}), so that a signal reaches everything it
 * started; stdin from the host's records, stdout and stderr back as records, then its exit status.
 *
 * <p>Lifetime: when the command exits, the output it already wrote is drained for a moment and the
 * status sent; processes it left in the background keep running (as with ssh). When the host goes away
 * first (the stream or the channel ends without the command having exited), its process group gets
 * SIGHUP and, after a grace period, SIGKILL, unless the request asked to {@code keep} it.
 */
final class ExecSession {
    /** Output still arriving after the command exited (a pipe being drained) gets this long. */
    static final long DRAIN_MILLIS = 300;
    /** Between SIGHUP and SIGKILL when the host went away. */
    static final long HANGUP_GRACE_MILLIS = 3000;
    private static final int CHUNK = 32 * 1024;

    private final Stream stream;
    private final Request request;
    private final Users users;

    ExecSession(Stream stream, Request request, Users users) {
        this.stream = stream;
        this.request = request;
        this.users = users;
    }

    void run() throws IOException {
        OutputStream out = stream.output();
        List<String> argv = request.strings("argv");
        if (argv.isEmpty()) {
            send(Exec.ERROR, "no command: argv is empty".getBytes());
            return;
        }
        List<String> command = new ArrayList<>(List.of("setsid"));
        String user = request.string("user", "");
        Users.Account account = null;
        if (!user.isEmpty()) {
            account = users.find(user).orElse(null);
            if (account == null) {
                send(Exec.ERROR, ("no user '" + user + "' in this VM").getBytes());
                return;
            }
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
        if (!request.bool("stdin")) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            send(Exec.ERROR, ("cannot start " + argv.getFirst() + ": " + e.getMessage()).getBytes());
            return;
        }
        send(Exec.STARTED, Records.u32((int) p.pid()));
        Thread stdout = pump(p.getInputStream(), Exec.STDOUT);
        Thread stderr = pump(p.getErrorStream(), Exec.STDERR);
        Thread waiter = Thread.ofVirtual().start(() -> finish(p, stdout, stderr));
        forwardInput(p);
        // The records end when the command's exit closed the stream, or when the host went away: if the
        // command still runs, it is the latter.
        if (p.isAlive()) {
            if (request.bool("keep")) {
                return; // the host asked that it outlive the conversation
            }
            signalGroup(p.pid(), "HUP");
            try {
                if (!p.waitFor(HANGUP_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                    signalGroup(p.pid(), "KILL");
                }
            } catch (InterruptedException e) {
                signalGroup(p.pid(), "KILL");
                Thread.currentThread().interrupt();
            }
        }
        try {
            waiter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The host's records until the stream's end: stdin to the command, signals to its group. */
    private void forwardInput(Process p) {
        InputStream in = stream.input();
        OutputStream stdin = p.getOutputStream();
        try {
            while (true) {
                Records.Record r = Records.read(in);
                if (r == null) {
                    return;
                }
                switch (r.type()) {
                    case Exec.STDIN -> {
                        try {
                            stdin.write(r.payload());
                            stdin.flush();
                        } catch (IOException closed) {
                            // the command closed its stdin or exited: what the host sends is dropped
                        }
                    }
                    case Exec.STDIN_EOF -> closeQuietly(stdin);
                    case Exec.SIGNAL -> {
                        int sig = Records.u32(r.payload());
                        if (sig > 0 && sig < 65) {
                            signalGroup(p.pid(), Integer.toString(sig));
                        }
                    }
                    default -> {
                        // RESIZE without a tty, or a newer host's record: nothing to do
                    }
                }
            }
        } catch (IOException e) {
            // the stream ended (the command's exit) or failed (the host or the channel is gone)
        }
    }

    private void finish(Process p, Thread stdout, Thread stderr) {
        try {
            int status = p.waitFor();
            stdout.join(DRAIN_MILLIS);
            stderr.join(DRAIN_MILLIS);
            send(Exec.EXIT, Records.u32(status));
            stream.close(0, "exited " + status);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the host is gone: nobody to tell
        }
    }

    private Thread pump(InputStream from, int type) {
        return Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[CHUNK];
            try (from) {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    if (n > 0) {
                        sendPart(type, buf, n);
                    }
                }
            } catch (IOException e) {
                // the pipe or the stream closed
            }
        });
    }

    private void send(int type, byte[] payload) throws IOException {
        sendPart(type, payload, payload.length);
    }

    private void sendPart(int type, byte[] payload, int n) throws IOException {
        OutputStream out = stream.output();
        synchronized (out) {
            Records.write(out, type, payload, 0, n);
            out.flush();
        }
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

    /** kill(1) to the whole process group, as a signal name or number. */
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

    private static void closeQuietly(OutputStream o) {
        try {
            o.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
