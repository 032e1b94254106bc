package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.core.Text;
import dev.banger.core.guest.GuestConfig;
import dev.banger.daemon.vm.Restores;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A restored guest made a machine of its own through its agent's {@code identity} op: 64 bytes of the host's
 * entropy (added to the guest's pool, then a reseed of its RNG: clones must not share a random stream), the host's
 * time (the saved clock is the parent's), then its hostname, MAC, address, route, DNS, SSH host key, agent token and
 * a fresh machine-id, from the same {@link GuestConfig} its config drive holds for later boots (one source). The
 * agent applies them itself, with one program ({@code ip}) for the network: under TCG every program a freshly
 * restored guest starts costs its translation. The answer is untrusted: only its statuses are obeyed, its log
 * quoted bounded and printable.
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

    /** The request: pure but for the entropy, the machine-id and the time, which are this call's own. */
    Map<String, Object> request(GuestConfig guest) {
        byte[] entropy = new byte[ENTROPY_BYTES];
        random.nextBytes(entropy);
        byte[] machineId = new byte[16];
        random.nextBytes(machineId);
        Instant now = clock.instant();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("op", "identity");
        r.put("entropy", Base64.getEncoder().encodeToString(entropy));
        r.put("time_ns", now.getEpochSecond() * 1_000_000_000L + now.getNano());
        r.put("hostname", guest.hostname());
        r.put("mac", guest.mac());
        r.put("address", guest.address());
        r.put("gateway", guest.gateway());
        r.put("dns", guest.dns());
        if (guest.agentToken() != null) {
            r.put("token", guest.agentToken());
        }
        r.put("machine_id", HexFormat.of().formatHex(machineId));
        r.put("host_key", guest.hostKeyPrivate());
        r.put("host_key_pub", guest.hostKeyPublic().strip());
        return r;
    }

    @Override
    public void reidentify(VmRecord vm, GuestConfig guest, Duration timeout) {
        JsonNode result;
        long t0 = System.nanoTime();
        long connected;
        try {
            sessions.channel(vm, timeout); // the restored agent's session first, so the log tells its cost from the op's
            connected = System.nanoTime();
            result = sessions.request(vm, request(guest), timeout);
        } catch (BangerException e) {
            if (e.getMessage().contains("unknown op") || e.getMessage().contains("unknown field")) {
                throw new BangerException(ErrorCode.FAILED_PRECONDITION, "the guest agent of VM " + vm.name() + " cannot re-identify a "
                        + "restored guest (its image's agent is older than this banger): rebuild the image, then take the snapshot again");
            }
            throw e;
        }
        String log = Text.printable(result.path("log").asText(""), 1500);
        int network = result.path("network_status").asInt(-1);
        if (network != 0) {
            throw new BangerException(ErrorCode.BOOT_FAILED, "VM " + vm.name() + " could not take its own address after the restore "
                    + "(ip exited " + network + "): " + log);
        }
        LOG.info("VM " + vm.name() + " re-identified (agent session " + (connected - t0) / 1_000_000 + " ms, identity "
                + (System.nanoTime() - connected) / 1_000_000 + " ms: " + Text.printable(result.path("ms").toString(), 200) + "): RNG "
                + (result.path("reseeded").asBoolean(false) ? "reseeded" : "fed, not reseeded") + ", clock corrected by "
                + result.path("clock_corrected_ms").asLong(0) + " ms, sshd " + Text.printable(result.path("sshd").asText("?"), 20));
    }
}
