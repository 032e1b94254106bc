package dev.banger.daemon.agent;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
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
 * {@code dev.banger.channel.Exec} go both ways untouched until the command's exit.
 */
public final class ExecService {
    public static final String PROTOCOL = "exec-records/1";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final long DEFAULT_READY_MILLIS = 60_000;
    private static final long MAX_READY_MILLIS = 10 * 60_000;

    private final VmService vms;
    private final AgentSessions sessions;

    public ExecService(VmService vms, AgentSessions sessions) {
        this.vms = vms;
        this.sessions = sessions;
    }

    public Params.Conversation exec(Params.VmExec p, Call call) {
        if (p.vm() == null || p.vm().isBlank()) {
            throw new BangerException(ErrorCode.INVALID_PARAMS, "vm.exec needs \"vm\": the VM's name or id");
        }
        ExecRules.Command command = ExecRules.check(p.argv(), p.env(), p.cwd(), p.user(), p.tty(), p.rows(), p.cols(), p.stdin(), p.keep());
        long readyMillis = p.readyTimeoutMs() == null ? DEFAULT_READY_MILLIS : p.readyTimeoutMs();
        if (readyMillis < 0 || readyMillis > MAX_READY_MILLIS) {
            throw new BangerException(ErrorCode.INVALID_ARGUMENT, "ready_timeout_ms must be from 0 to " + MAX_READY_MILLIS);
        }
        VmRecord vm = vms.getRunning(p.vm());
        sessions.awaitReady(vm, CONNECT_TIMEOUT, Duration.ofMillis(readyMillis));
        Stream stream = sessions.open(vm, request(command), CONNECT_TIMEOUT);
        String transport = sessions.transportOf(vm);
        call.continueWith(new AgentRelay(stream));
        return new Params.Conversation(vm.name(), PROTOCOL, transport);
    }

    /** The agent's exec request (banger-agent's ExecSession reads it). */
    static Map<String, Object> request(ExecRules.Command c) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("op", "exec");
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
