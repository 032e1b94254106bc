package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.daemon.agent.GuestFiles;
import dev.banger.daemon.agent.GuestProcesses;

/** Sandbox guests that are never ready (as if every VM were stopped): the envd tests here reach no agent. */
final class NoGuests implements SandboxGuests {
    @Override
    public VmRecord ready(String vmId) {
        throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vmId + "' is stopped: start it first");
    }

    @Override
    public GuestFiles files() {
        return new GuestFiles(null);
    }

    @Override
    public GuestProcesses processes() {
        return new GuestProcesses(null);
    }
}
