package dev.banger.daemon.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.channel.Exec;
import dev.banger.core.e2b.EnvdRules;
import dev.banger.daemon.agent.GuestProcesses;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * envd's {@code process.Process} service translated into banger's agent protocol ({@link GuestProcesses}): Start and
 * Connect stream a process's events (start with its pid first, output, end), List, SendInput, CloseStdin, SendSignal and
 * Update act on one by pid or tag. Processes are the agent's shared long-lived ones: they outlive the client's stream,
 * as envd's do; a Start whose deadline passes kills its process, as envd does.
 */
final class ProcessRpc {
    private static final Logger LOG = Logger.getLogger(ProcessRpc.class.getName());
    private final GuestProcesses processes;
    private final ScheduledExecutorService timers;

    ProcessRpc(GuestProcesses processes, ScheduledExecutorService timers) {
        this.processes = processes;
        this.timers = timers;
    }

    void call(String method, ConnectCall call, EnvdScope scope, int keepaliveSeconds, OptionalLong deadline) throws IOException {
        JsonNode m = call.message();
        switch (method) {
            case "Start" -> start(call, m, scope, keepaliveSeconds, deadline);
            case "Connect" -> connect(call, m, scope, keepaliveSeconds, deadline);
            case "List" -> {
                ObjectNode r = EnvdJson.object();
                var list = r.putArray("processes");
                processes.list(scope.vm()).stream().filter(GuestProcesses.Process::running).map(EnvdJson::processInfo).forEach(list::add);
                call.reply(r);
            }
            case "SendInput" -> {
                JsonNode input = m.path("input");
                JsonNode data = input.has("stdin") ? input.get("stdin") : input.path("pty");
                processes.input(scope.vm(), EnvdJson.selector(m), EnvdJson.bytes(data, "input"));
                call.reply(EnvdJson.object());
            }
            case "CloseStdin" -> {
                processes.closeStdin(scope.vm(), EnvdJson.selector(m));
                call.reply(EnvdJson.object());
            }
            case "SendSignal" -> {
                processes.signal(scope.vm(), EnvdJson.selector(m), EnvdJson.signal(m));
                call.reply(EnvdJson.object());
            }
            case "Update" -> {
                JsonNode size = m.path("pty").path("size");
                if (size.isObject()) {
                    processes.resize(scope.vm(), EnvdJson.selector(m), (int) EnvdJson.uint32(size, "rows", 0),
                            (int) EnvdJson.uint32(size, "cols", 0));
                }
                call.reply(EnvdJson.object());
            }
            case "StreamInput" -> throw new EnvdError("unimplemented",
                    "StreamInput (a client stream) is not served over HTTP/1.1; use SendInput, as the SDK does");
            default -> throw new EnvdError("unimplemented", "process.Process/" + method + " does not exist");
        }
    }

    private void start(ConnectCall call, JsonNode m, EnvdScope scope, int keepaliveSeconds, OptionalLong deadline) throws IOException {
        JsonNode p = m.path("process");
        if (!p.isObject()) {
            throw EnvdError.invalid("process (cmd, args, envs, cwd) is required");
        }
        List<String> argv = new ArrayList<>();
        argv.add(EnvdJson.text(p, "cmd"));
        JsonNode args = p.path("args");
        if (args.isArray()) {
            for (JsonNode a : args) {
                if (!a.isTextual()) {
                    throw EnvdError.invalid("process.args must be strings");
                }
                argv.add(a.asText());
            }
        }
        Map<String, String> env = new LinkedHashMap<>(scope.sandboxEnv());
        env.putAll(EnvdJson.strings(p, "envs"));
        String cwd = EnvdJson.optionalText(p, "cwd");
        cwd = cwd == null || cwd.isEmpty() ? EnvdRules.home(scope.user()) : scope.path(cwd);
        JsonNode size = m.path("pty").path("size");
        Integer rows = size.isObject() ? (int) EnvdJson.uint32(size, "rows", 24) : null;
        Integer cols = size.isObject() ? (int) EnvdJson.uint32(size, "cols", 80) : null;
        // envd's default is stdin open; the SDK asks for it closed unless the caller wants to send input.
        boolean stdin = EnvdJson.bool(m, "stdin", true);
        GuestProcesses.Attached attached = processes.start(scope.vm(),
                new GuestProcesses.Spec(argv, env, cwd, scope.user(), rows, cols, EnvdJson.optionalText(m, "tag"), stdin));
        follow(call, attached, rows != null, keepaliveSeconds, deadline, true);
    }

    private void connect(ConnectCall call, JsonNode m, EnvdScope scope, int keepaliveSeconds, OptionalLong deadline) throws IOException {
        GuestProcesses.Selector selector = EnvdJson.selector(m);
        boolean tty = processes.list(scope.vm()).stream()
                .anyMatch(p -> p.running() && p.tty() && (selector.pid() != null ? p.pid() == selector.pid() : selector.tag().equals(p.tag())));
        follow(call, processes.connect(scope.vm(), selector), tty, keepaliveSeconds, deadline, false);
    }

    /** Streams an attached process's events until it ends, the client goes, or the deadline (which kills what Start began). */
    private void follow(ConnectCall call, GuestProcesses.Attached attached, boolean tty, int keepaliveSeconds, OptionalLong deadline,
                        boolean killAtDeadline) throws IOException {
        try (attached; StreamGuard guard = new StreamGuard(timers, call, EnvdJson.processKeepalive(), keepaliveSeconds, deadline,
                atDeadline -> stop(attached, atDeadline && killAtDeadline))) {
            call.send(EnvdJson.started(attached.pid()));
            while (true) {
                GuestProcesses.Event e;
                try {
                    e = attached.next();
                } catch (IOException ex) {
                    e = null;
                }
                if (e == null) {
                    if (guard.deadlinePassed()) {
                        call.end(new EnvdError("deadline_exceeded", "the call's timeout passed"
                                + (killAtDeadline ? ": the process was killed" : "")));
                    } else if (!call.broken()) {
                        call.end(new EnvdError("unavailable", "the sandbox's agent stopped answering (is the sandbox still running?)"));
                    }
                    return;
                }
                switch (e.type()) {
                    case Exec.STDOUT -> call.send(EnvdJson.output(tty ? "pty" : "stdout", e.data()));
                    case Exec.STDERR -> call.send(EnvdJson.output(tty ? "pty" : "stderr", e.data()));
                    case Exec.EXIT -> {
                        call.send(EnvdJson.ended(e.exit()));
                        call.end(null);
                        return;
                    }
                    case Exec.ERROR -> {
                        call.end(new EnvdError("internal", "the guest agent: " + new String(e.data(), java.nio.charset.StandardCharsets.UTF_8)));
                        return;
                    }
                    default -> {
                        // STARTED again after the answer, NOTICE: nothing envd has a message for
                    }
                }
            }
        }
    }

    private static void stop(GuestProcesses.Attached attached, boolean kill) {
        if (kill) {
            try {
                attached.signal(9);
            } catch (IOException e) {
                LOG.fine("e2b: cannot kill pid " + attached.pid() + " at its deadline: " + e);
            }
        }
        attached.close();
    }
}
