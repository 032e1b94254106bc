package dev.banger.daemon.agent;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.daemon.vm.GuestProbe;
import java.time.Duration;

/**
 * A booting guest's readiness, asked of its agent: the channel's handshake waits for the agent itself
 * (it starts early, before sshd), then {@code ready} for the guest-ready milestone. When the agent does not
 * answer, whether sshd does (an image without the agent).
 */
public final class AgentProbe implements GuestProbe {
    private static final Duration HANDSHAKE = Duration.ofSeconds(2);
    private static final long READY_WAIT_MILLIS = 1000;

    private final AgentSessions sessions;

    public AgentProbe(AgentSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Readiness probe(VmRecord vm) {
        try {
            sessions.awaitReady(vm, HANDSHAKE, Duration.ofMillis(READY_WAIT_MILLIS));
            return Readiness.AGENT_READY;
        } catch (BangerException e) {
            if (e.code() == ErrorCode.TIMED_OUT) {
                return Readiness.NOT_YET; // the agent answers; the guest is still applying its configuration
            }
            return GuestProbe.sshAnswers(vm) ? Readiness.SSH_ONLY : Readiness.NOT_YET;
        }
    }
}
