package dev.banger.daemon.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.core.Text;
import dev.banger.core.ports.PortRows;
import dev.banger.daemon.vm.VmService;
import dev.banger.host.guest.PortProbe;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code vm.ports}: asks the VM's guest agent what listens, probes each reachable TCP port for what it
 * speaks (all at once, each step bounded), and returns the rows. The agent is untrusted: its reply is
 * bounded in size and time (AgentSessions), parsed strictly, and a probe never outlives its deadline, so a
 * hung or hostile guest costs one call a few seconds and nothing else.
 */
public final class VmPortsService {
    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration PROBE_STEP = Duration.ofMillis(600);
    /** Every probe has finished by then (two steps and the connects); stragglers are labelled tcp. */
    private static final Duration PROBES_DEADLINE = Duration.ofMillis(2500);
    private static final int MAX_PROBED_PORTS = 256;

    private final VmService vms;
    private final AgentSessions sessions;

    public VmPortsService(VmService vms, AgentSessions sessions) {
        this.vms = vms;
        this.sessions = sessions;
    }

    public Params.VmPorts ports(String ref) {
        VmRecord vm = vms.getRunning(ref);
        JsonNode result = sessions.request(vm, Map.of("op", "ports"), AGENT_TIMEOUT);
        String transport = sessions.transportOf(vm);
        Params.AgentPorts listing = parse(vm, result);
        Map<Integer, PortRows.Scheme> schemes = probe(vm, PortRows.tcpPortsToProbe(listing.listeners()));
        return new Params.VmPorts(vm.name(), transport, PortRows.rows(vm.runtime().dnsName(), listing.listeners(), schemes),
                listing.skipped());
    }

    private static Params.AgentPorts parse(VmRecord vm, JsonNode result) {
        try {
            Params.AgentPorts p = Json.MAPPER.treeToValue(result, Params.AgentPorts.class);
            if (p == null || p.listeners() == null) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent no listeners");
            }
            for (Params.PortListener l : p.listeners()) {
                if (l.proto() == null || l.address() == null || l.port() < 1 || l.port() > 65535) {
                    throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent a malformed listener");
                }
            }
            return p;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent something that is "
                    + "not its reply (" + Text.printable(e.getMessage(), 120) + ")");
        }
    }

    private static Map<Integer, PortRows.Scheme> probe(VmRecord vm, Set<Integer> ports) {
        Map<Integer, PortRows.Scheme> out = new ConcurrentHashMap<>();
        List<Integer> todo = ports.stream().limit(MAX_PROBED_PORTS).toList();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = todo.stream().<Future<?>>map(port -> pool.submit(() ->
                    out.put(port, PortProbe.classify(vm.runtime().guestIp(), port, vm.runtime().dnsName(), PROBE_STEP)))).toList();
            long deadline = System.nanoTime() + PROBES_DEADLINE.toNanos();
            for (Future<?> f : running) {
                try {
                    f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    f.cancel(true); // labelled tcp
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            pool.shutdownNow();
        }
        return out;
    }
}
