package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A running VM's long-lived processes, as envd's process service has them, kept by its guest agent
 * (banger-agent's Detached, as shared entries): started attached (the agent's answer, then the output as
 * {@link Exec} records, STARTED first), connected to again by pid or tag from any client, listed, fed input,
 * their stdin closed, signalled, their terminal resized. They outlive the client and bangerd's restarts.
 * The answers are untrusted: rows read field by field ({@link #processes}), records bounded by the channel's
 * frame. The VM must be running and its guest ready: the caller's to check.
 */
public final class GuestProcesses {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    /** The agent holds at most 64; a longer list is not its answer. */
    static final int MAX_LISTED = 256;
    static final int MAX_ARGS = 4096;
    static final int MAX_TEXT = 64 * 1024;
    static final int MAX_ENV = 1024;
    /** Linux's largest pid_max. */
    static final long MAX_PID = 4_194_304;
    /** What one {@code proc_input} carries at most (the agent's bound). */
    public static final int MAX_INPUT = 32 * 1024;
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}");

    /** Which process: by pid or by tag (envd's ProcessSelector), or by the agent's id for it. */
    public record Selector(Long pid, String tag, String id) {
        public Selector {
            if ((pid != null ? 1 : 0) + (tag != null ? 1 : 0) + (id != null ? 1 : 0) != 1) {
                throw new BangerException(ErrorCode.INVALID_ARGUMENT, "select a process by pid, by tag or by id");
            }
        }

        public static Selector pid(long pid) {
            return new Selector(pid, null, null);
        }

        public static Selector tag(String tag) {
            return new Selector(null, tag, null);
        }

        public static Selector id(String id) {
            return new Selector(null, null, id);
        }

        void into(Map<String, Object> request) {
            if (pid != null) {
                request.put("pid", pid);
            } else if (tag != null) {
                request.put("tag", tag);
            } else {
                request.put("id", id);
            }
        }
    }

    /** What to start: argv (no shell), environment laid over a login's, working directory, user, terminal, tag, stdin. */
    public record Spec(List<String> argv, Map<String, String> env, String cwd, String user, Integer rows, Integer cols, String tag,
            boolean stdin) {
        public Spec {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }

        boolean tty() {
            return rows != null && cols != null;
        }
    }

    /**
     * One process as the agent lists it; once exited, its {@code exitStatus} and {@code exitSignal}, the signal that ended
     * it (0: none, or an agent too old to say).
     */
    public record Process(String id, long pid, List<String> argv, String tag, Map<String, String> env, String cwd, String user,
            boolean running, Integer exitStatus, int exitSignal, boolean tty) {
        /** How it ended; null while it runs. */
        public Exec.Exit exit() {
            return exitStatus == null ? null : Exec.Exit.reported(exitStatus, exitSignal);
        }
    }

    /**
     * What an attachment carries from the guest, in order: STARTED (its {@code pid}), STDOUT/STDERR (bytes in
     * {@code data}), NOTICE, EXIT (its {@code exit}: the status, and the signal that ended the process if any), ERROR.
     * Fields a type does not use are empty: no bytes, pid 0, exit null.
     */
    public record Event(int type, byte[] data, int pid, Exec.Exit exit) {
    }

    /** An attachment to a process: its pid and id, its events, and input over the same stream. */
    public static final class Attached implements AutoCloseable {
        private final Stream stream;
        private final String id;
        private final long pid;

        Attached(Stream stream, String id, long pid) {
            this.stream = stream;
            this.id = id;
            this.pid = pid;
        }

        public String id() {
            return id;
        }

        public long pid() {
            return pid;
        }

        /** The next event; null once the stream ended (after EXIT, or the VM or the agent went away). */
        public Event next() throws IOException {
            while (true) {
                Records.Record r = Records.read(stream.input());
                if (r == null) {
                    return null;
                }
                switch (r.type()) {
                    case Exec.STARTED -> {
                        return new Event(r.type(), new byte[0], Records.u32(r.payload()), null);
                    }
                    case Exec.EXIT -> {
                        return new Event(r.type(), new byte[0], 0, Exec.Exit.read(r.payload()));
                    }
                    case Exec.STDOUT, Exec.STDERR, Exec.NOTICE, Exec.ERROR -> {
                        return new Event(r.type(), r.payload(), 0, null);
                    }
                    default -> {
                        // a newer agent's record
                    }
                }
            }
        }

        /** A signal to the process's group, over the attachment. */
        public void signal(int signal) throws IOException {
            OutputStream out = stream.output();
            synchronized (out) {
                Records.write(out, Exec.SIGNAL, Records.u32(signal));
                out.flush();
            }
        }

        /** Leaves the process running. */
        @Override
        public void close() {
            stream.close();
        }
    }

    private final AgentSessions sessions;

    public GuestProcesses(AgentSessions sessions) {
        this.sessions = sessions;
    }

    /** Starts {@code spec} and stays attached: the first event is STARTED. */
    public Attached start(VmRecord vm, Spec spec) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "exec");
        request.put("detach", true);
        request.put("attach", true);
        request.put("shared", true);
        request.put(Exec.EXIT_SIGNAL_FIELD, true);
        request.put("argv", spec.argv());
        request.put("env", spec.env());
        if (spec.cwd() != null) {
            request.put("cwd", spec.cwd());
        }
        if (spec.user() != null) {
            request.put("user", spec.user());
        }
        if (spec.tag() != null) {
            request.put("tag", spec.tag());
        }
        request.put("stdin", spec.stdin());
        if (spec.tty()) {
            request.put("tty", true);
            request.put("rows", spec.rows());
            request.put("cols", spec.cols());
        }
        Stream stream = sessions.open(vm, request, TIMEOUT);
        JsonNode r = GuestAnswers.firstLine(stream, vm.name(), TIMEOUT);
        return attached(stream, r, vm.name());
    }

    /** Attaches to a running process: output from now on (the first event is STARTED). */
    public Attached connect(VmRecord vm, Selector selector) {
        return connect(vm, selector, false);
    }

    /**
     * Attaches to a process (running, or exited and not yet forgotten): with {@code replay} the output the agent keeps
     * first (a NOTICE says how many bytes it no longer had), else output from now on; EXIT once it has exited.
     */
    public Attached connect(VmRecord vm, Selector selector, boolean replay) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "proc_connect");
        request.put(Exec.EXIT_SIGNAL_FIELD, true);
        selector.into(request);
        if (replay) {
            request.put("replay", true);
        }
        Stream stream = sessions.open(vm, request, TIMEOUT);
        JsonNode r = GuestAnswers.firstLine(stream, vm.name(), TIMEOUT);
        return attached(stream, r, vm.name());
    }

    private static Attached attached(Stream stream, JsonNode r, String vm) {
        try {
            return new Attached(stream, id(r.path("id"), vm), GuestAnswers.number(r.path("pid"), 1, MAX_PID, vm, "pid"));
        } catch (RuntimeException e) {
            stream.close();
            throw e;
        }
    }

    /** The agent's processes (running, and exited ones not yet forgotten). */
    public List<Process> list(VmRecord vm) {
        return processes(sessions.request(vm, Map.of("op", "procs"), TIMEOUT), vm.name());
    }

    /** {@code data} to the process's stdin (or its terminal), in pieces the agent takes. */
    public void input(VmRecord vm, Selector selector, byte[] data) {
        int at = 0;
        do {
            int n = Math.min(MAX_INPUT, data.length - at);
            Map<String, Object> request = selected("proc_input", selector);
            request.put("data", Base64.getEncoder().encodeToString(Arrays.copyOfRange(data, at, at + n)));
            sessions.request(vm, request, TIMEOUT);
            at += n;
        } while (at < data.length);
    }

    public void closeStdin(VmRecord vm, Selector selector) {
        sessions.request(vm, selected("proc_close_stdin", selector), TIMEOUT);
    }

    /** {@code signal} (1 to 64) to the process's group. */
    public void signal(VmRecord vm, Selector selector, int signal) {
        if (signal < 1 || signal > 64) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "a signal is 1 to 64");
        }
        Map<String, Object> request = selected("signal", selector);
        request.put("signal", signal);
        sessions.request(vm, request, TIMEOUT);
    }

    public void resize(VmRecord vm, Selector selector, int rows, int cols) {
        if (rows < 1 || rows > 10_000 || cols < 1 || cols > 10_000) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "a terminal is 1 to 10000 rows and columns");
        }
        Map<String, Object> request = selected("proc_resize", selector);
        request.put("rows", rows);
        request.put("cols", cols);
        sessions.request(vm, request, TIMEOUT);
    }

    private static Map<String, Object> selected(String op, Selector selector) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", op);
        selector.into(request);
        return request;
    }

    /** The agent's {@code procs} result, checked field by field. */
    static List<Process> processes(JsonNode result, String vm) {
        JsonNode list = result.path("processes");
        if (!list.isArray() || list.size() > MAX_LISTED) {
            throw GuestAnswers.notItsAnswer(vm, "a list of at most " + MAX_LISTED + " processes");
        }
        List<Process> out = new ArrayList<>();
        for (JsonNode n : list) {
            if (!n.isObject()) {
                throw GuestAnswers.notItsAnswer(vm, "a process as an object");
            }
            String state = GuestAnswers.text(n.path("state"), 16, vm, "state");
            boolean exited = state.equals("exited");
            if (!exited && !state.equals("running")) {
                throw GuestAnswers.notItsAnswer(vm, "a state of running or exited");
            }
            Integer status = exited ? (int) GuestAnswers.number(n.path("exit_status"), 0, 255, vm, "exit_status") : null;
            // An older agent's rows have no exit_signal: absent or null is none; a number outside 1-64 is not its answer, and
            // one that disagrees with the status (128 + signal) is taken as none (Exec.Exit.reported).
            JsonNode signalNode = n.path("exit_signal");
            int signal = !exited || signalNode.isMissingNode() || signalNode.isNull() ? 0
                    : Exec.Exit.reported(status, GuestAnswers.number(signalNode, 1, Exec.MAX_SIGNAL, vm, "exit_signal")).signal();
            // An older agent's rows have no tag, env, cwd, user or tty: absent is allowed, a wrong type is not.
            JsonNode env = n.path("env");
            JsonNode tty = n.path("tty");
            out.add(new Process(id(n.path("id"), vm), GuestAnswers.number(n.path("pid"), 1, MAX_PID, vm, "pid"), argv(n.path("argv"), vm),
                    GuestAnswers.optionalText(n.path("tag"), 256, vm, "tag"),
                    env.isMissingNode() || env.isNull() ? Map.of() : GuestAnswers.strings(env, MAX_ENV, MAX_TEXT, vm, "env"),
                    GuestAnswers.optionalText(n.path("cwd"), GuestFiles.MAX_PATH, vm, "cwd"),
                    GuestAnswers.optionalText(n.path("user"), 256, vm, "user"), !exited, status, signal,
                    !tty.isMissingNode() && GuestAnswers.bool(tty, vm, "tty")));
        }
        return List.copyOf(out);
    }

    private static String id(JsonNode n, String vm) {
        if (!n.isTextual() || !ID.matcher(n.asText()).matches()) {
            throw GuestAnswers.notItsAnswer(vm, "an id of 8 hex digits");
        }
        return n.asText();
    }

    private static List<String> argv(JsonNode n, String vm) {
        if (!n.isArray() || n.isEmpty() || n.size() > MAX_ARGS) {
            throw GuestAnswers.notItsAnswer(vm, "an argv of 1 to " + MAX_ARGS + " strings");
        }
        List<String> argv = new ArrayList<>();
        for (JsonNode a : n) {
            argv.add(GuestAnswers.text(a, MAX_TEXT, vm, "argv"));
        }
        return List.copyOf(argv);
    }
}
