package dev.banger.daemon.e2b;

import dev.banger.api.VmRecord;
import dev.banger.daemon.agent.GuestFiles;
import dev.banger.daemon.agent.GuestProcesses;

/** What envd's translation needs of a sandbox's guest: its VM once ready, and the agent's files and processes. */
public interface SandboxGuests {
    /** The sandbox's VM, running and its guest ready (waited for, bounded); a BangerException says why not. */
    VmRecord ready(String vmId);

    GuestFiles files();

    GuestProcesses processes();
}
