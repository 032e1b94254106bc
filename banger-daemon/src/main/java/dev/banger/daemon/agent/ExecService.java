package dev.banger.daemon.agent;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.channel.Exec;
import dev.banger.channel.Stream;
import dev.banger.core.exec.ExecRules;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vm.VmService;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code vm.exec}: a command run in a VM by its guest agent. The request is checked here
 * ({@link ExecRules}), the guest must have reached its ready milestone (waited for, bounded), and then the
 * caller's connection is joined to the agent's exec stream ({@link AgentRelay}): the records of
 * {@code dev.banger.channel.Exec} go both ways untouched until the command's exit. {@code vm.exec_attach}
 * is the same conversation with a detached process ({@link DetachedExecService} starts, lists and signals
 * them). The agent is asked for the EXIT that carries the signal ({@link Exec#EXIT_SIGNAL_FIELD}): the client reads
 * it with {@link Exec.Exit#read}, which bounds what the guest said.
 */
public final class ExecService {
    public static final String PROTOCOL = "exec-records/1";

    private final VmService vms;
    private final AgentSessions sessions;

    public ExecService(VmService vms, AgentSessions sessions) {
        this.vms = vms;
        this.sessions = sessions;
    }

    AgentSessions sessions() {
        return sessions;
    }

    public Params.Conversation exec(Params.VmExec p, Call call) {
        ExecRules.Command command = ExecRules.check(p.argv(), p.env(), p.cwd(), p.user(), p.tty(), p.rows(), p.cols(), p.stdin(), p.keep());
        VmRecord vm = ready(p.vm(), p.readyTimeoutMs(), "vm.exec");
        return converse(vm, request(command), call);
    }

    /**
     * {@code vm.exec_attach}: the caller joins a detached process of the VM's agent ({@code attach}), the same
     * conversation as an exec's. A process the agent does not have is the agent's ERROR record.
     */
    public Params.Conversation attach(Params.VmExecAttach p, Call call) {
        String id = ExecRules.processId(p.id());
        VmRecord vm = running(p.vm(), "vm.exec_attach");
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "attach");
        request.put(Exec.EXIT_SIGNAL_FIELD, true);
        request.put("id", id);
        request.put("stdin", Boolean.TRUE.equals(p.stdin()));
        return converse(vm, request, call);
    }

    private Params.Conversation converse(VmRecord vm, Map<String, Object> request, Call call) {
        Stream stream = sessions.open(vm, request, RunningVms.CONNECT_TIMEOUT);
        String transport = sessions.transportOf(vm);
        call.continueWith(new AgentRelay(stream));
        return new Params.Conversation(vm.name(), PROTOCOL, transport);
    }

    /** The running VM {@code ref} names, once its guest reached its ready milestone (waited for, bounded). */
    VmRecord ready(String ref, Long readyTimeoutMs, String method) {
        return RunningVms.ready(vms, sessions, ref, readyTimeoutMs, method);
    }

    VmRecord running(String ref, String method) {
        return RunningVms.require(vms, ref, method);
    }

    /** The agent's exec request (banger-agent's ExecSession reads it). */
    static Map<String, Object> request(ExecRules.Command c) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("op", "exec");
        r.put(Exec.EXIT_SIGNAL_FIELD, true);
        r.put("argv", c.argv());
        if (!c.env().isEmpty()) {
            r.put("env", c.env());
        }
        if (!c.cwd().isEmpty()) {
            r.put("cwd", c.cwd());
        }
        if (!c.user().isEmpty()) {
            r.put("user", c.user());
        }
        r.put("stdin", c.stdin());
        r.put("keep", c.keep());
        if (c.tty()) {
            r.put("tty", true);
            r.put("rows", c.rows());
            r.put("cols", c.cols());
        }
        return r;
    }
}
