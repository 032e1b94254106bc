package dev.banger.daemon.agent;

import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.channel.Stream;
import dev.banger.core.copy.CopyRules;
import dev.banger.daemon.rpc.Call;
import dev.banger.daemon.vm.VmService;
import java.util.Map;

/**
 * {@code vm.cp}: a copy between the caller and a path in a VM. bangerd never touches a host path for it: the
 * CLI reads and writes the host's files as the calling user, and the daemon, root, only checks the request
 * ({@link CopyRules}), waits for the guest to be ready, opens the agent's {@code copy_in} or {@code copy_out}
 * stream and joins the caller's connection to it ({@link AgentRelay}): the archive and the agent's status lines
 * (docs/API.md, "vm.cp") go through untouched, in constant memory.
 */
public final class CopyService {
    public static final String PROTOCOL = "copy-tar/1";

    private final VmService vms;
    private final AgentSessions sessions;

    public CopyService(VmService vms, AgentSessions sessions) {
        this.vms = vms;
        this.sessions = sessions;
    }

    public Params.Conversation copy(Params.VmCp p, Call call) {
        CopyRules.check(p.path());
        String direction = CopyRules.direction(p.direction());
        VmRecord vm = RunningVms.ready(vms, sessions, p.vm(), p.readyTimeoutMs(), "vm.cp");
        Stream stream = sessions.open(vm, Map.of("op", CopyRules.IN.equals(direction) ? "copy_in" : "copy_out", "path", p.path()),
                RunningVms.CONNECT_TIMEOUT);
        call.continueWith(new AgentRelay(stream));
        return new Params.Conversation(vm.name(), PROTOCOL, sessions.transportOf(vm));
    }
}
