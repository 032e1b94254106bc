package dev.banger.agent;

import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One command run for the host over one stream ({@link Exec}'s records), prepared as {@link Launch} says and
 * started by {@link Spawned}:
 * stdin from the host's records, stdout and stderr back as records, then its exit status. With
 * {@code "tty": true} the command gets a pseudo-terminal ({@link Pty}) of {@code rows} x {@code cols} as its
 * controlling terminal, stdin, stdout and stderr: all its output comes back as STDOUT, RESIZE records set
 * the window size, the host's end of input is typed as Ctrl-D, and TERM is xterm-256color unless the
 * request sets it.
 *
 * <p>Lifetime: when the command exits, the output it already wrote is drained for a moment and the
 * status sent; processes it left in the background keep running (as with ssh; on a terminal they get its
 * hang-up, as with {@code ssh -t}). When the host goes away first (the stream or the channel ends without
 * the command having exited), its process group gets SIGHUP and, after a grace period, SIGKILL, unless the
 * request asked to {@code keep} it: then its output is read and dropped until it exits.
 */
final class ExecSession {
    /** Output still arriving after the command exited (a pipe being drained) gets this long. */
    static final long DRAIN_MILLIS = 300;
    /** Between SIGHUP and SIGKILL when the host went away. */
    static final long HANGUP_GRACE_MILLIS = 3000;
    static final String DEFAULT_TERM = "xterm-256color";
    /** What a terminal's reader takes for the end of input (VEOF, Ctrl-D), typed when the host's stdin ends. */
    private static final byte[] END_OF_INPUT = {4};
    private static final int CHUNK = 32 * 1024;
    static final int MAX_TERMINAL_SIZE = 10_000;
    private static final int SIGHUP = 1;
    private static final int SIGKILL = 9;

    /** Where a pump puts what it read. */
    interface Sink {
        void accept(byte[] buf, int n);
    }

    private final Stream stream;
    private final Request request;
    private final Users users;
    private volatile boolean hostGone;

    ExecSession(Stream stream, Request request, Users users) {
        this.stream = stream;
        this.request = request;
        this.users = users;
    }

    void run() throws IOException {
        boolean tty = request.bool("tty");
        int rows = (int) request.number("rows", 24, 1, MAX_TERMINAL_SIZE);
        int cols = (int) request.number("cols", 80, 1, MAX_TERMINAL_SIZE);
        Launch.Prepared command;
        try {
            command = Launch.prepare(request, users);
        } catch (Launch.Refused e) {
            send(Exec.ERROR, e.getMessage().getBytes(StandardCharsets.UTF_8));
            return;
        }
        Pty pty = null;
        Spawn.Stdio stdio = new Spawn.Pipes(request.bool("stdin"));
        if (tty) {
            try {
                pty = terminal(command.account(), rows, cols);
            } catch (IOException e) {
                send(Exec.ERROR, ("cannot give the command a terminal: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
                return;
            }
            command = command.withDefault("TERM", DEFAULT_TERM);
            stdio = new Spawn.Terminal(pty.slave());
        }
        Spawned p;
        try {
            p = Spawned.start(command, stdio);
        } catch (IOException e) {
            if (pty != null) {
                pty.close();
            }
            notStarted(e, tty);
            return;
        }
        send(Exec.STARTED, Records.u32((int) p.pid()));
        Io io = pty != null ? new TerminalIo(pty) : new PipeIo(p);
        List<Thread> output = io.startOutput();
        Thread waiter = Thread.ofVirtual().start(() -> finish(p, io, output));
        forwardInput(p, io);
        // The records end when the command's exit closed the stream, or when the host went away: if the
        // command still runs, it is the latter.
        hostGone = true;
        if (p.alive()) {
            if (request.bool("keep")) {
                return; // the host asked that it outlive the conversation
            }
            p.signalGroup(SIGHUP);
            try {
                if (!p.awaitExit(HANGUP_GRACE_MILLIS)) {
                    p.signalGroup(SIGKILL);
                }
            } catch (InterruptedException e) {
                p.signalGroup(SIGKILL);
                Thread.currentThread().interrupt();
            }
        }
        try {
            waiter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A program that cannot be run ends as a shell would end it: its message on the command's error output
     * (its terminal with -t) and status 127 when it is not there, 126 when it cannot be executed. Anything
     * else that stopped the start is an ERROR record.
     */
    private void notStarted(IOException e, boolean tty) throws IOException {
        if (e instanceof Spawn.NotStarted n && (n.errno == Spawn.ENOENT || n.errno == Spawn.EACCES || n.errno == Spawn.ENOEXEC)) {
            send(tty ? Exec.STDOUT : Exec.STDERR, ("banger-agent: " + n.getMessage() + (tty ? "\r\n" : "\n")).getBytes(StandardCharsets.UTF_8));
            int status = n.errno == Spawn.ENOENT ? 127 : 126;
            send(Exec.EXIT, Records.u32(status));
            stream.close(0, "exited " + status);
            return;
        }
        send(Exec.ERROR, ("cannot start " + request.strings("argv").getFirst() + ": " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
    }

    /** A terminal for the command, owned by the command's user. */
    static Pty terminal(Users.Account account, int rows, int cols) throws IOException {
        Pty pty = Pty.open(rows, cols);
        try {
            if (account != null) {
                Files.setAttribute(Path.of(pty.slave()), "unix:uid", account.uid());
            }
        } catch (IOException | RuntimeException e) {
            pty.close();
            throw e;
        }
        return pty;
    }

    /** The host's records until the stream's end: stdin to the command, signals to its group, window sizes. */
    private void forwardInput(Spawned p, Io io) {
        InputStream in = stream.input();
        try {
            while (true) {
                Records.Record r = Records.read(in);
                if (r == null) {
                    return;
                }
                switch (r.type()) {
                    case Exec.STDIN -> {
                        try {
                            io.input(r.payload());
                        } catch (IOException closed) {
                            // the command closed its stdin or exited: what the host sends is dropped
                        }
                    }
                    case Exec.STDIN_EOF -> io.endInput();
                    case Exec.SIGNAL -> {
                        int sig = Records.u32(r.payload());
                        if (sig > 0 && sig < 65) {
                            p.signalGroup(sig);
                        }
                    }
                    case Exec.RESIZE -> {
                        int[] size = windowSize(r.payload());
                        if (size != null) {
                            io.resize(size[0], size[1]);
                        }
                    }
                    default -> {
                        // a newer host's record: nothing to do
                    }
                }
            }
        } catch (IOException e) {
            // the stream ended (the command's exit) or failed (the host or the channel is gone)
        }
    }

    /** Rows and columns of a RESIZE payload, or null when it is not two u32 within bounds. */
    static int[] windowSize(byte[] payload) {
        if (payload.length != 8) {
            return null;
        }
        long rows = ((payload[0] & 0xffL) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8) | (payload[3] & 0xff);
        long cols = ((payload[4] & 0xffL) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff);
        if (rows < 1 || rows > MAX_TERMINAL_SIZE || cols < 1 || cols > MAX_TERMINAL_SIZE) {
            return null;
        }
        return new int[] {(int) rows, (int) cols};
    }

    private void finish(Spawned p, Io io, List<Thread> output) {
        try {
            Exec.Exit exit = p.exit().join();
            for (Thread t : output) {
                t.join(DRAIN_MILLIS);
            }
            io.finish();
            for (Thread t : output) {
                t.join(Pty.POLL_MILLIS * 3L);
            }
            send(Exec.EXIT, exit.payload(request.bool(Exec.EXIT_SIGNAL_FIELD)));
            stream.close(0, "exited " + exit.status());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the host is gone: nobody to tell
        }
    }

    /** Output as records while the host is there; read and dropped once it is gone (a kept command must not block). */
    private void output(int type, byte[] buf, int n) {
        if (hostGone) {
            return;
        }
        try {
            sendPart(type, buf, n);
        } catch (IOException e) {
            hostGone = true;
        }
    }

    /**
     * A thread that reads {@code from} to its end into {@code sink}: a platform one, since a command's pipe is
     * read in native code (a virtual thread would pin its carrier).
     */
    static Thread pump(InputStream from, Sink sink) {
        return Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[CHUNK];
            try (from) {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    if (n > 0) {
                        sink.accept(buf, n);
                    }
                }
            } catch (IOException e) {
                // the pipe closed
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

    /** The command's stdio as the session sees it: pipes, or a terminal. */
    private interface Io {
        /** Threads that send the command's output until it ends. */
        List<Thread> startOutput();

        void input(byte[] bytes) throws IOException;

        void endInput();

        void resize(int rows, int cols);

        /** The command exited and its output had its drain time: stop reading it, release what is held. */
        void finish();
    }

    private final class PipeIo implements Io {
        private final Spawned process;

        PipeIo(Spawned process) {
            this.process = process;
        }

        @Override
        public List<Thread> startOutput() {
            return List.of(pump(process.stdout(), (b, n) -> output(Exec.STDOUT, b, n)),
                    pump(process.stderr(), (b, n) -> output(Exec.STDERR, b, n)));
        }

        @Override
        public void input(byte[] bytes) throws IOException {
            process.stdin().write(bytes);
        }

        @Override
        public void endInput() {
            try {
                process.stdin().close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void resize(int rows, int cols) {
            // no terminal
        }

        @Override
        public void finish() {
            // the pipes end with their last writer (a process left in the background may hold them)
        }
    }

    private final class TerminalIo implements Io {
        private final Pty pty;

        TerminalIo(Pty pty) {
            this.pty = pty;
        }

        @Override
        public List<Thread> startOutput() {
            // A platform thread: the reads are native calls, which would pin a virtual thread's carrier.
            return List.of(Thread.ofPlatform().daemon().name("pty-" + pty.slave()).start(() -> {
                byte[] buf = new byte[CHUNK];
                try {
                    int n;
                    while ((n = pty.read(buf)) >= 0) {
                        output(Exec.STDOUT, buf, n);
                    }
                } catch (IOException e) {
                    // the terminal failed: its output ends here
                }
            }));
        }

        @Override
        public void input(byte[] bytes) throws IOException {
            pty.write(bytes, 0, bytes.length);
        }

        @Override
        public void endInput() {
            try {
                pty.write(END_OF_INPUT, 0, 1);
            } catch (IOException ignored) {
                // the terminal is gone
            }
        }

        @Override
        public void resize(int rows, int cols) {
            try {
                pty.resize(rows, cols);
            } catch (IOException ignored) {
                // the terminal is gone
            }
        }

        @Override
        public void finish() {
            pty.close();
        }
    }
}
