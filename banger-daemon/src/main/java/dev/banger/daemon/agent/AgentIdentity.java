package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.core.Text;
import dev.banger.daemon.vm.Restores;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A restored guest made a machine of its own through its agent's {@code identity} op: 64 bytes of the host's
 * entropy (added to the guest's pool, then a reseed of its RNG: clones must not share a random stream), the host's
 * time (the saved clock is the parent's), then the guest's reidentify script applies its new config drive. The
 * agent's answer is untrusted: only its status is obeyed, its log is quoted bounded and printable.
 */
public final class AgentIdentity implements Restores.Identity {
    private static final Logger LOG = Logger.getLogger(AgentIdentity.class.getName());
    private static final int ENTROPY_BYTES = 64;

    private final AgentSessions sessions;
    private final SecureRandom random;
    private final Clock clock;

    public AgentIdentity(AgentSessions sessions, SecureRandom random, Clock clock) {
        this.sessions = sessions;
        this.random = random;
        this.clock = clock;
    }

    @Override
    public void reidentify(VmRecord vm, Duration timeout) {
        byte[] entropy = new byte[ENTROPY_BYTES];
        random.nextBytes(entropy);
        Instant now = clock.instant();
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "identity");
        request.put("entropy", Base64.getEncoder().encodeToString(entropy));
        request.put("time_ns", now.getEpochSecond() * 1_000_000_000L + now.getNano());
        JsonNode result;
        long t0 = System.nanoTime();
        try {
            sessions.channel(vm, timeout); // the restored agent's session first, so the log tells its cost from the op's
            long connected = System.nanoTime();
            result = sessions.request(vm, request, timeout);
            LOG.info("VM " + vm.name() + ": agent session in " + (connected - t0) / 1_000_000 + " ms, identity op in "
                    + (System.nanoTime() - connected) / 1_000_000 + " ms");
        } catch (BangerException e) {
            if (e.getMessage().contains("unknown op")) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the guest agent of VM " + vm.name() + " cannot re-identify a "
                        + "restored guest (its image's agent is older than this banger): rebuild the image, then take the snapshot again");
            }
            throw e;
        }
        int status = result.path("status").asInt(-1);
        String log = Text.printable(result.path("log").asText(""), 1500);
        if (status != 0) {
            throw new BangerException(ErrorCode.BOOT_FAILED, "VM " + vm.name() + " could not take its own identity after the restore "
                    + "(reidentify exited " + status + "): " + log);
        }
        LOG.info("VM " + vm.name() + " re-identified: RNG " + (result.path("reseeded").asBoolean(false) ? "reseeded" : "fed, not reseeded")
                + ", clock corrected by " + result.path("clock_corrected_ms").asLong(0) + " ms; " + log);
    }
}
