package dev.banger.daemon.publish;

import dev.banger.api.VmRecord;
import dev.banger.channel.Stream;
import java.util.Map;

/** A stream to a VM's guest agent for one forwarded connection or watch ({@code daemon.agent.AgentSessions} in the daemon). */
public interface GuestStreams {
    /** Opens a stream with {@code request}; throws a BangerException (AGENT_UNAVAILABLE) when the agent cannot be reached. */
    Stream open(VmRecord vm, Map<String, Object> request);
}
