package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.core.exec.ExecRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A VM's detached processes, which live in its guest agent (so they outlive clients and bangerd's
 * restarts): {@code vm.exec_detach} starts one, {@code vm.exec_list} lists them, {@code vm.exec_signal}
 * signals one's process group; {@code vm.exec_attach} is a conversation, in {@link ExecService}. Each is one
 * request to the agent; what it answers is untrusted and read strictly ({@link #processes}), any departure
 * from the shape refused as not the agent's answer.
 */
public final class DetachedExecService {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** More than any agent holds (64): a longer list is not an agent's. */
    static final int MAX_LISTED = 256;
    private static final int MAX_ARGS = ExecRules.MAX_ARGS;
    /** Linux's largest pid_max. */
    private static final long MAX_PID = 4_194_304;
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}");

    private final ExecService exec;
    private final AgentSessions sessions;

    public DetachedExecService(ExecService exec) {
        this.exec = exec;
        this.sessions = exec.sessions();
    }

    public Params.ExecStarted detach(Params.VmExecDetach p) {
        ExecRules.Command command = ExecRules.checkDetached(p.argv(), p.env(), p.cwd(), p.user(), p.stdin());
        VmRecord vm = exec.ready(p.vm(), p.readyTimeoutMs(), "vm.exec_detach");
        Map<String, Object> request = ExecService.request(command);
        request.put("detach", true);
        JsonNode r = sessions.request(vm, request, TIMEOUT);
        return new Params.ExecStarted(vm.name(), id(r.path("id"), vm.name()), pid(r.path("pid"), vm.name()));
    }

    public Params.ExecProcesses list(Params.VmRef p) {
        VmRecord vm = exec.running(p.vm(), "vm.exec_list");
        return processes(vm.name(), sessions.request(vm, Map.of("op", "procs"), TIMEOUT));
    }

    public Params.ExecSignalled signal(Params.VmExecSignal p) {
        String id = ExecRules.processId(p.id());
        ExecRules.Signal signal = ExecRules.signal(p.signal());
        VmRecord vm = exec.running(p.vm(), "vm.exec_signal");
        JsonNode r = sessions.request(vm, Map.of("op", "signal", "id", id, "signal", signal.number()), TIMEOUT);
        return new Params.ExecSignalled(vm.name(), id, pid(r.path("pid"), vm.name()), signal.name(), signal.number());
    }

    /** The agent's {@code procs} result, checked field by field. */
    static Params.ExecProcesses processes(String vm, JsonNode result) {
        JsonNode list = result.path("processes");
        if (!list.isArray() || list.size() > MAX_LISTED) {
            throw notItsAnswer(vm, "a list of at most " + MAX_LISTED + " processes");
        }
        List<Params.ExecProcess> out = new ArrayList<>();
        for (JsonNode n : list) {
            String state = n.path("state").asText("");
            boolean exited = state.equals("exited");
            if (!exited && !state.equals("running")) {
                throw notItsAnswer(vm, "a state of running or exited");
            }
            Integer status = exited ? (int) number(n.path("exit_status"), 0, 255, vm, "exit_status") : null;
            Long endedAgo = exited ? number(n.path("ended_ms_ago"), 0, Long.MAX_VALUE, vm, "ended_ms_ago") : null;
            out.add(new Params.ExecProcess(id(n.path("id"), vm), pid(n.path("pid"), vm), argv(n.path("argv"), vm), state, status,
                    number(n.path("age_ms"), 0, Long.MAX_VALUE, vm, "age_ms"), endedAgo, bool(n.path("stdin"), vm),
                    bool(n.path("attached"), vm), number(n.path("stdout_dropped"), 0, Long.MAX_VALUE, vm, "stdout_dropped"),
                    number(n.path("stderr_dropped"), 0, Long.MAX_VALUE, vm, "stderr_dropped")));
        }
        return new Params.ExecProcesses(vm, out, (int) number(result.path("max"), 1, MAX_LISTED, vm, "max"));
    }

    private static String id(JsonNode n, String vm) {
        if (!n.isTextual() || !ID.matcher(n.asText()).matches()) {
            throw notItsAnswer(vm, "an id of 8 hex digits");
        }
        return n.asText();
    }

    private static long pid(JsonNode n, String vm) {
        return number(n, 1, MAX_PID, vm, "pid");
    }

    private static List<String> argv(JsonNode n, String vm) {
        if (!n.isArray() || n.isEmpty() || n.size() > MAX_ARGS) {
            throw notItsAnswer(vm, "an argv of 1 to " + MAX_ARGS + " strings");
        }
        List<String> argv = new ArrayList<>();
        for (JsonNode a : n) {
            if (!a.isTextual()) {
                throw notItsAnswer(vm, "an argv of strings");
            }
            argv.add(a.asText());
        }
        return argv;
    }

    private static long number(JsonNode n, long min, long max, String vm, String field) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw notItsAnswer(vm, field + " from " + min + " to " + max);
        }
        return n.asLong();
    }

    private static boolean bool(JsonNode n, String vm) {
        if (!n.isBoolean()) {
            throw notItsAnswer(vm, "true or false");
        }
        return n.asBoolean();
    }

    private static BangerException notItsAnswer(String vm, String expected) {
        return new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm
                + "' sent an answer that is not one (expected " + expected + "): refused, the guest is not trusted");
    }
}
