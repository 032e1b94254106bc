package dev.banger.daemon.e2b;

import dev.banger.api.VmRecord;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.agent.GuestFiles;
import dev.banger.daemon.agent.GuestProcesses;
import dev.banger.daemon.vm.VmService;
import java.time.Duration;

/** Sandbox guests as banger's VMs and their agents. */
public final class VmGuests implements SandboxGuests {
    private static final Duration CONNECT = Duration.ofSeconds(10);
    /** A sandbox answered create only once its guest was ready; a restore or resume may still be on its way. */
    private static final Duration READY = Duration.ofSeconds(60);

    private final VmService vms;
    private final AgentSessions sessions;
    private final GuestFiles files;
    private final GuestProcesses processes;

    public VmGuests(VmService vms, AgentSessions sessions) {
        this.vms = vms;
        this.sessions = sessions;
        this.files = new GuestFiles(sessions);
        this.processes = new GuestProcesses(sessions);
    }

    @Override
    public VmRecord ready(String vmId) {
        VmRecord vm = vms.getRunning(vmId);
        sessions.awaitReady(vm, CONNECT, READY);
        return vm;
    }

    @Override
    public GuestFiles files() {
        return files;
    }

    @Override
    public GuestProcesses processes() {
        return processes;
    }
}
