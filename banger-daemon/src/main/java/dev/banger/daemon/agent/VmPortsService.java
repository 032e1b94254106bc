package dev.banger.daemon.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.Text;
import dev.banger.core.ports.PortRows;
import dev.banger.daemon.vm.AgentTokens;
import dev.banger.daemon.vm.VmLiveness;
import dev.banger.daemon.vm.VmService;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.guest.AgentClient;
import dev.banger.host.guest.AgentConnection;
import dev.banger.host.guest.AgentTransport;
import dev.banger.host.guest.PortProbe;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.nio.file.Path;
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
 * bounded in size and time (AgentClient), parsed strictly, and a probe never outlives its deadline, so a
 * hung or hostile guest costs one call a few seconds and nothing else.
 */
public final class VmPortsService {
    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration PROBE_STEP = Duration.ofMillis(600);
    /** Every probe has finished by then (two steps and the connects); stragglers are labelled tcp. */
    private static final Duration PROBES_DEADLINE = Duration.ofMillis(2500);
    private static final int MAX_PROBED_PORTS = 256;

    private final VmService vms;
    private final VmLiveness liveness;
    private final Vmms vmms;

    public VmPortsService(VmService vms, VmLiveness liveness, Vmms vmms) {
        this.vms = vms;
        this.liveness = liveness;
        this.vmms = vmms;
    }

    public Params.VmPorts ports(String ref) {
        VmRecord vm = vms.get(ref);
        if (vm.state() != VmState.RUNNING) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "VM '" + vm.name() + "' is " + vm.state().wireName()
                    + ": start it first ('banger vm start " + vm.name() + "')");
        }
        String token;
        try {
            token = AgentTokens.read(Path.of(vm.runtime().vmDir()));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "VM '" + vm.name() + "' has no agent token (started by an older "
                    + "banger?): restart it ('banger vm restart " + vm.name() + "')");
        }
        String request = Json.line(Map.of("token", token, "method", "ports"));
        // The transport this boot's VMM offered is in its handles; the driver knows how to reach it.
        VmHandles handles = liveness.rediscoverHandles(vm);
        String reply;
        try (AgentConnection agent = vmms.of(vm).openAgent(vm, handles, AGENT_TIMEOUT)) {
            reply = AgentClient.call(agent, request);
        }
        String transport = (handles.agent() != null ? handles.agent() : AgentTransport.TCP).wireName();
        Params.AgentPorts listing = parse(vm, reply);
        Map<Integer, PortRows.Scheme> schemes = probe(vm, PortRows.tcpPortsToProbe(listing.listeners()));
        return new Params.VmPorts(vm.name(), transport, PortRows.rows(vm.runtime().dnsName(), listing.listeners(), schemes),
                listing.skipped());
    }

    private static Params.AgentPorts parse(VmRecord vm, String reply) {
        try {
            JsonNode node = Json.MAPPER.readTree(reply);
            if (node == null || !node.path("ok").asBoolean(false)) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' refused: "
                        + Text.printable(node == null ? "no reply" : node.path("error").asText("no reason given"), 200));
            }
            Params.AgentPorts p = Json.MAPPER.treeToValue(node.path("result"), Params.AgentPorts.class);
            if (p == null || p.listeners() == null) {
                throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent no listeners");
            }
            for (Params.PortListener l : p.listeners()) {
                if (l.proto() == null || l.address() == null || l.port() < 1 || l.port() > 65535) {
                    throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent a malformed listener");
                }
            }
            return p;
        } catch (JsonProcessingException e) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent something that is not its "
                    + "reply (" + Text.printable(e.getOriginalMessage(), 120) + ")");
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
