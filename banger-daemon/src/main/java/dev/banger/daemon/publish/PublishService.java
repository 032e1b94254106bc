package dev.banger.daemon.publish;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.PublishedPort;
import dev.banger.api.VmRecord;
import dev.banger.api.VmState;
import dev.banger.core.ports.PublishRules;
import dev.banger.host.net.PortHolders;
import dev.banger.store.PublishStore;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Published ports: the intent is the {@code vm_publishes} table, the forwarders are transient handles held here. A
 * running VM's ports are forwarded whenever this daemon runs: started when the VM starts ({@link #running}), stopped when
 * it stops or is deleted ({@link #notRunning}), started again for every running VM after a daemon restart
 * ({@link #restore}). A port that cannot be bound when its VM starts (something else took it meanwhile) is retried every
 * few seconds and logged; {@code vm publish} and {@code vm create} refuse a taken port at once, naming its holder.
 * Nothing here is half-applied: a forwarder is bound before its row is written, and closed again if the write fails.
 */
public final class PublishService implements AutoCloseable {
    static final Duration RETRY = Duration.ofSeconds(5);
    private static final Logger LOG = Logger.getLogger(PublishService.class.getName());

    private final PublishStore store;
    private final Function<String, VmRecord> vmByRef;
    private final GuestStreams guest;
    private final boolean autoPublish;
    private final Clock clock;
    /** Live forwarders by VM id, then by {@link PublishRules#key}. Guarded by {@code this}. */
    private final Map<String, Map<String, Forwarder>> live = new HashMap<>();
    /** Ports of running VMs that could not be bound yet, retried. Guarded by {@code this}. */
    private final Map<String, Map<String, PublishedPort>> pending = new HashMap<>();
    private final Map<String, VmRecord> runningVms = new HashMap<>();
    private final Map<String, AutoPublisher> watchers = new HashMap<>();
    private volatile boolean closed;

    /**
     * @param vmByRef     a VM by name or id (NOT_FOUND otherwise): the VM service's lookup
     * @param autoPublish {@code [network] auto_publish}: guest TCP listeners appear on 127.0.0.1 at the same port
     */
    public PublishService(PublishStore store, Function<String, VmRecord> vmByRef, GuestStreams guest, boolean autoPublish, Clock clock) {
        this.store = store;
        this.vmByRef = vmByRef;
        this.guest = guest;
        this.autoPublish = autoPublish;
        this.clock = clock;
        Thread.ofVirtual().name("publish-retry").start(this::retryLoop);
    }

    /** {@code vm.create}'s check, before anything is claimed: each host port free on this host and published by no VM. */
    public synchronized void checkFree(List<PublishedPort> ports) {
        for (PublishedPort p : ports) {
            Optional<String> holder = store.holder(p.protocol(), p.hostPort());
            if (holder.isPresent()) {
                throw taken(p, "published by VM '" + holder.get() + "'");
            }
            probe(p);
        }
    }

    /** {@code vm.publish}: forwarded at once when the VM runs, and at each of its starts. */
    public synchronized VmRecord publish(Params.VmPublish request) {
        PublishedPort port = PublishRules.parse(request.spec());
        VmRecord vm = vmByRef.apply(request.vm());
        if (vm.publishes().stream().filter(p -> !p.auto()).count() >= PublishRules.MAX_PER_VM) {
            throw BangerException.invalid("VM '" + vm.name() + "' publishes " + PublishRules.MAX_PER_VM + " ports already, the most a VM may");
        }
        Optional<String> holder = store.holder(port.protocol(), port.hostPort());
        if (holder.isPresent()) {
            throw taken(port, "published by VM '" + holder.get() + "'");
        }
        withdrawAuto(port); // an automatic forward of the same port gives way to the user's intent
        Forwarder f = null;
        if (runningVms.containsKey(vm.id())) {
            f = bindOrRefuse(runningVms.get(vm.id()), port);
        } else {
            probe(port);
        }
        try {
            store.add(vm.id(), port, clock.instant());
        } catch (RuntimeException e) {
            if (f != null) {
                f.close();
            }
            throw e;
        }
        if (f != null) {
            live.computeIfAbsent(vm.id(), k -> new LinkedHashMap<>()).put(PublishRules.key(port), f);
        }
        LOG.info("VM " + vm.name() + " publishes " + port.spec());
        return view(refreshed(vm.id()));
    }

    /** {@code vm.unpublish}: the port is freed at once and not published again. */
    public synchronized VmRecord unpublish(Params.VmPublish request) {
        PublishRules.Named named = PublishRules.parseNamed(request.spec());
        VmRecord vm = vmByRef.apply(request.vm());
        Optional<PublishedPort> port = vm.publishes().stream()
                .filter(p -> p.hostPort() == named.hostPort() && p.protocol().equals(named.protocol())).findFirst();
        if (port.isEmpty()) {
            throw BangerException.notFound("VM '" + vm.name() + "' does not publish host port " + named.hostPort() + "/" + named.protocol()
                    + (vm.publishes().isEmpty() ? " (it publishes none)" : "; it publishes " + String.join(", ",
                    vm.publishes().stream().map(PublishedPort::spec).toList())));
        }
        store.remove(vm.id(), port.get());
        close(vm.id(), PublishRules.key(port.get()));
        dropPending(vm.id(), PublishRules.key(port.get()));
        LOG.info("VM " + vm.name() + " no longer publishes " + port.get().spec());
        return view(refreshed(vm.id()));
    }

    /** {@code vm} with the ports this daemon published by itself for it added to its stored ones. */
    public synchronized VmRecord view(VmRecord vm) {
        List<PublishedPort> all = new ArrayList<>(vm.publishes());
        for (Forwarder f : live.getOrDefault(vm.id(), Map.of()).values()) {
            if (f.port().auto()) {
                all.add(f.port());
            }
        }
        return vm.withPublishes(all);
    }

    /** {@code vm} now runs: its ports are forwarded (and its listeners watched, with auto_publish). */
    public synchronized void running(VmRecord vm) {
        if (closed) {
            return;
        }
        runningVms.put(vm.id(), vm);
        for (PublishedPort p : vm.publishes()) {
            if (!p.auto()) {
                activate(vm, p);
            }
        }
        if (autoPublish && !watchers.containsKey(vm.id())) {
            watchers.put(vm.id(), AutoPublisher.start(vm, guest, this));
        }
    }

    /** VM {@code vmId} stopped, failed or was deleted: its forwarders are closed and its ports freed. */
    public synchronized void notRunning(String vmId) {
        runningVms.remove(vmId);
        AutoPublisher w = watchers.remove(vmId);
        if (w != null) {
            w.close();
        }
        for (Forwarder f : live.getOrDefault(vmId, Map.of()).values()) {
            f.close();
        }
        live.remove(vmId);
        pending.remove(vmId);
    }

    /** After a daemon start's reconcile: the running VMs' ports forwarded again. */
    public void restore(List<VmRecord> vms) {
        for (VmRecord vm : vms) {
            if (vm.state() == VmState.RUNNING) {
                running(vm);
            }
        }
    }

    /**
     * The guest's TCP listeners changed ({@link AutoPublisher}): each listener on an unprivileged port that the VM does
     * not publish by hand gets 127.0.0.1 at the same port while that port is free; forwards of listeners gone are withdrawn.
     */
    synchronized void listenersChanged(String vmId, List<Integer> ports) {
        VmRecord vm = runningVms.get(vmId);
        if (vm == null || closed) {
            return;
        }
        Map<String, Forwarder> forwarders = live.computeIfAbsent(vmId, k -> new LinkedHashMap<>());
        List<String> wanted = new ArrayList<>();
        for (int guestPort : ports) {
            if (guestPort < AutoPublisher.LOWEST_PORT || vm.publishes().stream().anyMatch(p -> !p.auto() && p.guestPort() == guestPort)) {
                continue;
            }
            PublishedPort p = new PublishedPort(PublishRules.DEFAULT_HOST_IP, guestPort, guestPort, "tcp", true);
            String key = PublishRules.key(p);
            wanted.add(key);
            if (forwarders.containsKey(key) || store.holder("tcp", guestPort).isPresent() || heldByAnother(vmId, key)) {
                continue;
            }
            try {
                forwarders.put(key, TcpForwarder.open(vm, p, guest));
                LOG.info("VM " + vm.name() + ": guest port " + guestPort + " published automatically on 127.0.0.1:" + guestPort);
            } catch (IOException e) {
                LOG.fine("VM " + vm.name() + ": guest port " + guestPort + " not published automatically (127.0.0.1:" + guestPort
                        + " is taken)");
            }
        }
        forwarders.entrySet().removeIf(e -> {
            if (e.getValue().port().auto() && !wanted.contains(e.getKey())) {
                e.getValue().close();
                LOG.info("VM " + vm.name() + ": automatic publishing of guest port " + e.getValue().port().guestPort() + " withdrawn");
                return true;
            }
            return false;
        });
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (String vmId : new ArrayList<>(runningVms.keySet())) {
            notRunning(vmId);
        }
    }

    /** The VM as stored now; a running one's entry renewed, so automatic publishing sees its ports as they are. */
    private VmRecord refreshed(String vmId) {
        VmRecord vm = vmByRef.apply(vmId);
        runningVms.computeIfPresent(vmId, (k, old) -> vm);
        return vm;
    }

    private void activate(VmRecord vm, PublishedPort p) {
        String key = PublishRules.key(p);
        Map<String, Forwarder> forwarders = live.computeIfAbsent(vm.id(), k -> new LinkedHashMap<>());
        if (forwarders.containsKey(key) && !forwarders.get(key).port().auto()) {
            return;
        }
        withdrawAuto(p);
        try {
            forwarders.put(key, open(vm, p));
            dropPending(vm.id(), key);
        } catch (IOException e) {
            pending.computeIfAbsent(vm.id(), k -> new LinkedHashMap<>()).put(key, p);
            LOG.warning("VM " + vm.name() + ": cannot publish " + p.spec() + " yet (" + holderText(p) + "); retrying every "
                    + RETRY.toSeconds() + " s");
        }
    }

    private synchronized void retryPending() {
        for (Map.Entry<String, Map<String, PublishedPort>> e : new ArrayList<>(pending.entrySet())) {
            VmRecord vm = runningVms.get(e.getKey());
            if (vm == null) {
                pending.remove(e.getKey());
                continue;
            }
            for (PublishedPort p : new ArrayList<>(e.getValue().values())) {
                try {
                    live.computeIfAbsent(vm.id(), k -> new LinkedHashMap<>()).put(PublishRules.key(p), open(vm, p));
                    e.getValue().remove(PublishRules.key(p));
                    LOG.info("VM " + vm.name() + ": " + p.spec() + " published (its host port is free now)");
                } catch (IOException ignored) {
                    // still taken
                }
            }
        }
        pending.values().removeIf(Map::isEmpty);
    }

    private void retryLoop() {
        while (!closed) {
            try {
                Thread.sleep(RETRY);
            } catch (InterruptedException e) {
                return;
            }
            retryPending();
        }
    }

    private Forwarder open(VmRecord vm, PublishedPort p) throws IOException {
        return p.protocol().equals("udp") ? UdpForwarder.open(vm, p, guest) : TcpForwarder.open(vm, p, guest);
    }

    private Forwarder bindOrRefuse(VmRecord vm, PublishedPort p) {
        try {
            return open(vm, p);
        } catch (IOException e) {
            throw refusal(p, e);
        }
    }

    private static BangerException cannotListen(PublishedPort p, IOException e) {
        return new BangerException(ErrorCode.HOST_FAILURE, "cannot listen on " + p.hostIp() + ":" + p.hostPort() + "/" + p.protocol()
                + ": " + e.getMessage() + (p.hostIp().equals(PublishRules.DEFAULT_HOST_IP) || p.hostIp().equals("0.0.0.0") ? ""
                : " (is " + p.hostIp() + " an address of this host?)"));
    }

    /** Binds and releases the port: refused, with the holder named, when something else has it. */
    private void probe(PublishedPort p) {
        InetSocketAddress at = new InetSocketAddress(p.hostIp(), p.hostPort());
        try (java.nio.channels.NetworkChannel ch = p.protocol().equals("udp") ? DatagramChannel.open() : ServerSocketChannel.open()) {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(at);
        } catch (IOException e) {
            throw refusal(p, e);
        }
    }

    /** EADDRINUSE names the holder; anything else (an address this host does not have) says what failed. */
    private BangerException refusal(PublishedPort p, IOException e) {
        return e instanceof BindException && String.valueOf(e.getMessage()).contains("in use") ? taken(p, holderText(p)) : cannotListen(p, e);
    }

    private void withdrawAuto(PublishedPort p) {
        String key = PublishRules.key(p);
        for (Map<String, Forwarder> forwarders : live.values()) {
            Forwarder f = forwarders.get(key);
            if (f != null && f.port().auto()) {
                f.close();
                forwarders.remove(key);
            }
        }
    }

    private boolean heldByAnother(String vmId, String key) {
        return live.entrySet().stream().anyMatch(e -> !e.getKey().equals(vmId) && e.getValue().containsKey(key));
    }

    private void close(String vmId, String key) {
        Forwarder f = live.getOrDefault(vmId, new HashMap<>()).remove(key);
        if (f != null) {
            f.close();
        }
    }

    private void dropPending(String vmId, String key) {
        Map<String, PublishedPort> p = pending.get(vmId);
        if (p != null) {
            p.remove(key);
        }
    }

    private String holderText(PublishedPort p) {
        for (Map.Entry<String, Map<String, Forwarder>> e : live.entrySet()) {
            Forwarder f = e.getValue().get(PublishRules.key(p));
            if (f != null) {
                VmRecord holder = runningVms.get(e.getKey());
                return (f.port().auto() ? "published automatically for" : "published by") + " VM '" + (holder != null ? holder.name() : e.getKey()) + "'";
            }
        }
        return PortHolders.describe(p.protocol(), p.hostPort()).map(h -> "in use by " + h).orElse("in use by a process banger cannot see");
    }

    private static BangerException taken(PublishedPort p, String holder) {
        return new BangerException(ErrorCode.FAILED_PRECONDITION, "host port " + p.hostPort() + "/" + p.protocol() + " is " + holder
                + ": choose another host port (e.g. --publish " + (p.hostPort() < 65535 ? p.hostPort() + 1 : 1024) + ":" + p.guestPort()
                + (p.protocol().equals("udp") ? "/udp" : "") + ")");
    }
}
