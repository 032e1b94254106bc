package dev.banger.daemon.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerVersion;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.VmRecord;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelException;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Stream;
import dev.banger.core.Text;
import dev.banger.daemon.vm.AgentTokens;
import dev.banger.daemon.vm.VmLiveness;
import dev.banger.daemon.vmm.Vmms;
import dev.banger.host.guest.AgentConnection;
import dev.banger.host.guest.AgentTransport;
import dev.banger.host.vm.VmHandles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * One channel per VM to its guest agent ({@link Channel}: many streams over the one connection its VMM
 * gives, {@code Vmm.openAgent}), made on first need and kept: a VM's serial port has room for one host at
 * a time, and a stream costs nothing once the channel exists. A channel that ends (the VM stopped, the
 * agent restarted, a protocol error, logged with its reason) is forgotten and made again on the next
 * request. Everything read from the guest is bounded: a reply by {@link #MAX_REPLY_BYTES}, a handshake
 * by its timeout; one VM's trouble never holds another's.
 */
public final class AgentSessions {
    private static final Logger LOG = Logger.getLogger(AgentSessions.class.getName());
    /** A reply larger than this is not an agent's. */
    static final int MAX_REPLY_BYTES = 4 << 20;

    private final Vmms vmms;
    private final VmLiveness liveness;
    private final ChannelOptions options;
    /** A kept channel silent this long is pinged before it is used again (see {@link #usable}). */
    static final Duration SILENCE_BEFORE_PING = Duration.ofSeconds(5);
    /** Generous: a 1-vCPU guest under TCG may be busy, and a wrong verdict drops the VM's streams. */
    static final Duration PING_TIMEOUT = Duration.ofSeconds(5);

    private final Duration silenceBeforePing;
    private final Duration pingTimeout;
    /** Channels whose ping is under way (one at a time each). */
    private final Set<Channel> pinging = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService KEEPALIVE = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("agent-keepalive").factory());

    private final ScheduledFuture<?> keepalive;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    /** The transport each VM's current channel runs over (from its handles when it connected). */
    private final Map<String, AgentTransport> transports = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> connecting = new ConcurrentHashMap<>();
    /** Channels whose guest said it was ready (weak: a channel that ended is forgotten with its VM's entry). */
    private final Set<Channel> readyChannels = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    public AgentSessions(Vmms vmms, VmLiveness liveness) {
        this(vmms, liveness, SILENCE_BEFORE_PING, PING_TIMEOUT);
    }

    /** With other liveness timings (tests). */
    public AgentSessions(Vmms vmms, VmLiveness liveness, Duration silenceBeforePing, Duration pingTimeout) {
        this.silenceBeforePing = silenceBeforePing;
        this.pingTimeout = pingTimeout;
        long period = silenceBeforePing.toMillis();
        keepalive = KEEPALIVE.scheduleWithFixedDelay(this::pingSilentBusyChannels, period, period, TimeUnit.MILLISECONDS);
        this.vmms = vmms;
        this.liveness = liveness;
        this.options = ChannelOptions.defaults("bangerd " + BangerVersion.current()).withName("daemon")
                .withLog(message -> LOG.warning("agent channel: " + message));
    }

    /**
     * {@code vm}'s channel, connected now if there is none; the connection and the handshake within
     * {@code timeout}. AGENT_UNAVAILABLE with the reason when the agent does not answer or speaks another
     * protocol version.
     */
    public Channel channel(VmRecord vm, Duration timeout) {
        Channel existing = channels.get(vm.id());
        if (usable(existing)) {
            return existing;
        }
        ReentrantLock lock = connecting.computeIfAbsent(vm.id(), k -> new ReentrantLock());
        try {
            if (!lock.tryLock(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw unavailable(vm, "another request is connecting to it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while connecting to VM " + vm.name() + "'s agent");
        }
        try {
            Channel again = channels.get(vm.id());
            if (usable(again)) {
                return again;
            }
            Channel fresh = connect(vm, timeout);
            channels.put(vm.id(), fresh);
            fresh.closed().thenAccept(why -> {
                channels.remove(vm.id(), fresh);
                LOG.fine(() -> "VM " + vm.name() + ": agent channel ended: " + why);
            });
            return fresh;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether a kept channel still reaches a live agent. A serial port's host end stays connected when the
     * agent behind it dies (QEMU keeps the socket; a restarted agent says HELLO, which closes the channel, but
     * one that never comes back says nothing), so a channel that has been silent a while is pinged first; one
     * that does not answer is closed, and the caller makes a new one, which fails with the reason.
     */
    private boolean usable(Channel c) {
        if (c == null || !c.isEstablished() || c.closed().isDone()) {
            return false;
        }
        if (c.silence().compareTo(silenceBeforePing) < 0) {
            return true;
        }
        try {
            c.ping(pingTimeout);
            return true;
        } catch (ChannelException e) {
            c.close("no PONG within " + pingTimeout.toMillis() + " ms after " + c.silence().toSeconds() + " s of silence: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A channel that carries streams (a running command, a copy) and has gone silent is pinged, each on a
     * thread of its own: its agent may have died behind an open port, and those streams would then wait
     * forever. A channel that does not answer is closed, which ends its streams with the reason.
     */
    private void pingSilentBusyChannels() {
        for (Channel c : channels.values()) {
            if (c.stats().streams() > 0 && c.silence().compareTo(silenceBeforePing) >= 0 && pinging.add(c)) {
                Thread.ofVirtual().start(() -> {
                    try {
                        usable(c);
                    } finally {
                        pinging.remove(c);
                    }
                });
            }
        }
    }

    private Channel connect(VmRecord vm, Duration timeout) {
        VmHandles handles = liveness.rediscoverHandles(vm);
        transports.put(vm.id(), handles.agent() == null ? AgentTransport.TCP : handles.agent());
        AgentConnection c = vmms.of(vm).openAgent(vm, handles, timeout);
        try {
            if (handles.agent() == null || handles.agent() == AgentTransport.TCP) {
                // The TCP fallback reaches the guest's network, which others share: the VM's token comes first.
                c.output().write(("TOKEN " + AgentTokens.read(Path.of(vm.runtime().vmDir())) + "\n").getBytes(StandardCharsets.UTF_8));
                c.output().flush();
            }
            Channel channel = Channel.host(c.input(), c.output(), options.withHandshakeTimeout(timeout), null);
            channel.connect();
            c.disarm();
            channel.closed().thenRun(c::close);
            return channel;
        } catch (ChannelException e) {
            // The connection's own deadline (the same length) may close it a moment before the handshake's
            // timeout: that is the same verdict, not a broken connection.
            boolean timedOut = e.kind() == ChannelException.Kind.TIMEOUT || c.timedOut();
            c.close();
            throw unavailable(vm, e.kind() == ChannelException.Kind.INCOMPATIBLE ? e.getMessage()
                    : timedOut ? "it did not answer within " + timeout.toMillis() + " ms (still starting after a boot, or absent from "
                            + "this image?)"
                    : e.getMessage());
        } catch (IOException e) {
            c.close();
            throw unavailable(vm, e.getMessage());
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while connecting to VM " + vm.name() + "'s agent");
        }
    }

    /**
     * A one-reply request ({@code health}, {@code ports}, {@code ready}): its {@code result}, or the agent's
     * error; the reply bounded in size, the whole exchange by the stream's reading in {@code timeout}.
     */
    public JsonNode request(VmRecord vm, Map<String, Object> request, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Channel channel = channel(vm, timeout);
        byte[] reply;
        try (Stream s = channel.open(Json.line(request).getBytes(StandardCharsets.UTF_8))) {
            // The reply is bounded in time too: a hung agent's stream is closed at the deadline, which ends the read.
            Thread timer = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                    s.close(-1, "no reply in time");
                } catch (InterruptedException done) {
                    // replied in time
                }
            });
            try {
                reply = readBounded(s.input(), vm);
            } finally {
                timer.interrupt();
            }
        } catch (IOException e) {
            throw unavailable(vm, System.nanoTime() >= deadline ? "no reply within " + timeout.toMillis() + " ms" : e.getMessage());
        }
        try {
            JsonNode node = Json.MAPPER.readTree(reply);
            if (node == null || !node.path("ok").isBoolean()) {
                throw unavailable(vm, "it sent something that is not a reply");
            }
            if (!node.get("ok").asBoolean()) {
                String why = Text.printable(node.path("error").asText("no reason given"), 300);
                ErrorCode refusal = refusal(node.path("kind").asText(""));
                throw new BangerException(refusal, refusal == ErrorCode.AGENT_UNAVAILABLE
                        ? "the guest agent of VM '" + vm.name() + "' refused: " + why : "VM '" + vm.name() + "': " + why);
            }
            return node.path("result");
        } catch (JsonProcessingException e) {
            throw unavailable(vm, "it sent something that is not its reply (" + Text.printable(e.getOriginalMessage(), 120) + ")");
        } catch (IOException e) {
            throw unavailable(vm, e.getMessage());
        }
    }

    /**
     * Asks {@code vm}'s agent to make its identity path ready (linked and loaded, no effect) before the VM is
     * snapshotted, so that the snapshot's restored children do not pay for it inside their re-identification. An
     * agent without the op (an older image) or one that fails it only costs the children that time: logged.
     */
    public void prepareSnapshot(VmRecord vm, Duration timeout) {
        try {
            JsonNode r = request(vm, Map.of("op", "warm"), timeout);
            LOG.fine("VM " + vm.name() + ": identity path warmed in " + r.path("ms").asLong() + " ms");
        } catch (BangerException e) {
            LOG.warning("VM " + vm.name() + ": its agent did not warm its identity path before the snapshot (" + e.getMessage()
                    + "): its restored children will pay for that");
        }
    }

    /** A stream to {@code vm}'s agent for a conversation of its own (exec, copies), opened with {@code request}. */
    public Stream open(VmRecord vm, Map<String, Object> request, Duration connectTimeout) {
        try {
            return channel(vm, connectTimeout).open(Json.line(request).getBytes(StandardCharsets.UTF_8));
        } catch (ChannelException e) {
            throw unavailable(vm, e.getMessage());
        }
    }

    /** The transport of {@code vm}'s channel, as the API names it ("serial", "vsock", "tcp"); the VM's channel must exist. */
    public String transportOf(VmRecord vm) {
        return transports.getOrDefault(vm.id(), AgentTransport.TCP).wireName();
    }

    /**
     * Returns once {@code vm}'s guest has reached its ready milestone (configuration applied, /work mounted,
     * sshd up), asking its agent at most once per channel: a guest does not become unready. AGENT_UNAVAILABLE
     * when no channel is made within {@code connectTimeout}; TIMED_OUT with where to look when {@code timeout}
     * passes first.
     */
    public void awaitReady(VmRecord vm, Duration connectTimeout, Duration timeout) {
        Channel channel = channel(vm, connectTimeout);
        if (readyChannels.contains(channel)) {
            return;
        }
        JsonNode r = request(vm, Map.of("op", "ready", "timeout_ms", timeout.toMillis()), timeout.plus(connectTimeout));
        if (!r.path("ready").asBoolean()) {
            throw new BangerException(ErrorCode.TIMED_OUT, "the guest of VM '" + vm.name() + "' was not ready within "
                    + timeout.toSeconds() + " s (its boot has not finished applying its configuration; 'banger vm logs "
                    + vm.name() + "' shows where it is)");
        }
        readyChannels.add(channel);
    }

    /** The daemon is stopping: no more keepalive pings, and every channel closed (the agents wait for the next daemon). */
    public void close() {
        keepalive.cancel(false);
        for (Channel c : channels.values()) {
            c.close("bangerd is stopping");
        }
        channels.clear();
    }

    /**
     * The error kind of an agent's refusal that says which way it refused (a process it does not have, a full
     * table, a state that forbids it); anything else, or nothing, stays AGENT_UNAVAILABLE. A fixed set: the guest
     * cannot make bangerd report a kind that means something else.
     */
    static ErrorCode refusal(String kind) {
        return switch (kind) {
            case "not_found" -> ErrorCode.NOT_FOUND;
            case "exhausted" -> ErrorCode.RESOURCE_EXHAUSTED;
            case "precondition" -> ErrorCode.FAILED_PRECONDITION;
            case "exists" -> ErrorCode.NAME_TAKEN;
            case "denied" -> ErrorCode.PERMISSION_DENIED;
            case "invalid" -> ErrorCode.INVALID_ARGUMENT;
            default -> ErrorCode.AGENT_UNAVAILABLE;
        };
    }

    private static byte[] readBounded(InputStream in, VmRecord vm) throws IOException {
        byte[] all = in.readNBytes(MAX_REPLY_BYTES + 1);
        if (all.length > MAX_REPLY_BYTES) {
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm.name() + "' sent a reply over "
                    + (MAX_REPLY_BYTES >> 20) + " MiB: refused (the guest is not trusted)");
        }
        return all;
    }

    private static BangerException unavailable(VmRecord vm, String why) {
        return new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot talk to the guest agent of VM '" + vm.name() + "': "
                + Text.printable(String.valueOf(why), 400));
    }
}
