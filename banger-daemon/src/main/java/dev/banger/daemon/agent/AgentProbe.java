package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.VmRecord;
import dev.banger.daemon.vm.GuestProbe;
import java.time.Duration;
import java.util.Map;

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
            JsonNode r = sessions.request(vm, Map.of("op", "ready", "timeout_ms", READY_WAIT_MILLIS),
                    HANDSHAKE.plusMillis(READY_WAIT_MILLIS));
            return r.path("ready").asBoolean() ? Readiness.AGENT_READY : Readiness.NOT_YET;
        } catch (BangerException e) {
            return GuestProbe.sshAnswers(vm) ? Readiness.SSH_ONLY : Readiness.NOT_YET;
        }
    }
}
