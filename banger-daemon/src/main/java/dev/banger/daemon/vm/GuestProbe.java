package dev.banger.daemon.vm;

import dev.banger.api.VmRecord;
import dev.banger.host.guest.SshProbe;
import java.time.Duration;

/**
 * Whether a booting guest is ready, one bounded look at a time (the start polls it): ready through its
 * agent (the agent answers and reports the guest-ready milestone: configuration applied), reachable only
 * by SSH (an image without the agent), or not yet. Tests give a fake; the daemon's is the agent room's.
 */
@FunctionalInterface
public interface GuestProbe {
    enum Readiness {
        NOT_YET,
        /** The agent answered and the guest's configuration is applied: what vm run and vm exec need. */
        AGENT_READY,
        /** sshd answers, the agent does not (yet): an image without the agent, if it stays so. */
        SSH_ONLY
    }

    Readiness probe(VmRecord vm);

    /** Whether the guest's sshd answers with a banner: connects time out after 250 ms, the banner may take 5 s. */
    static boolean sshAnswers(VmRecord vm) {
        return SshProbe.answers(vm.runtime().guestIp(), Duration.ofMillis(250), Duration.ofSeconds(5));
    }
}
