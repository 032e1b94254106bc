package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.VmRecord;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.OpenHandler;
import dev.banger.daemon.agent.AgentSessions;
import dev.banger.daemon.rpc.Call;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's side of guest agents against agents that misbehave: each VM's channel is its own, so a guest
 * that sends garbage or an oversized reply costs its own request a clear AGENT_UNAVAILABLE and nothing
 * else; the daemon keeps answering for the other VMs. Real channels over Unix sockets; the VMs are the
 * orchestration tests' fake ones (no root needed).
 */
@Timeout(60)
class AgentSessionsTest {
    private static final Map<String, Object> HEALTH = Map.of("op", "health");
    private static final Duration WAIT = Duration.ofSeconds(3);

    @TempDir
    Path tmp;
    private FakeDaemon d;
    private AgentSessions sessions;
    private final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeEach
    void daemon() {
        d = new FakeDaemon(tmp.resolve("home"));
        sessions = new AgentSessions(d.vmms, d.liveness);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : servers) {
            c.close();
        }
        d.close();
    }

    private VmRecord runningVm(String name) {
        VmRecord vm = d.create(name);
        d.readyGuests.add(name);
        return d.power.start(vm, Call.NONE);
    }

    /** Serves {@code vm}'s agent socket; each connection gets {@code agent}. */
    private void agent(VmRecord vm, Consumer<SocketChannel> agent) throws IOException {
        Path socket = tmp.resolve(vm.name() + ".sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        servers.add(server);
        Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel c = server.accept();
                    Thread.ofVirtual().start(() -> agent.accept(c));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        d.vmm.agentAt(vm.id(), socket);
    }

    /** A well-behaved agent that answers every request with {@code reply}. */
    private static Consumer<SocketChannel> answering(byte[] reply) {
        OpenHandler handler = (stream, request) -> {
            stream.output().write(reply);
            stream.close();
        };
        return c -> Channel.guest(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("fake-agent"), handler).start();
    }

    @Test
    void aGuestSendingGarbageFailsItsOwnRequestAndNoOneElses() throws IOException {
        VmRecord good = runningVm("good");
        VmRecord bad = runningVm("bad");
        agent(good, answering("{\"ok\":true,\"result\":{\"status\":\"ok\"}}\n".getBytes(StandardCharsets.UTF_8)));
        agent(bad, c -> {
            try (c) {
                OutputStream out = Channels.newOutputStream(c);
                byte[] junk = new byte[64 * 1024];
                Random random = new Random(7);
                for (int i = 0; i < 64; i++) {
                    random.nextBytes(junk);
                    out.write(junk);
                }
            } catch (IOException gone) {
                // the daemon hung up on it
            }
        });

        assertThatThrownBy(() -> sessions.request(bad, HEALTH, WAIT)).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                .hasMessageContaining("bad");
        assertThat(sessions.request(good, HEALTH, WAIT).path("status").asText()).isEqualTo("ok");
        assertThatThrownBy(() -> sessions.request(bad, HEALTH, WAIT)).isInstanceOf(BangerException.class);
        assertThat(sessions.request(good, HEALTH, WAIT).path("status").asText()).as("and again").isEqualTo("ok");
    }

    @Test
    void aReplyLargerThanAnyAgentsIsRefusedNotBuffered() throws IOException {
        VmRecord vm = runningVm("big");
        byte[] huge = new byte[5 << 20];
        Arrays.fill(huge, (byte) 'x');
        agent(vm, answering(huge));
        assertThatThrownBy(() -> sessions.request(vm, HEALTH, Duration.ofSeconds(20))).isInstanceOf(BangerException.class)
                .hasMessageContaining("over 4 MiB");
    }

    @Test
    void aGuestThatNeverAnswersCostsOneBoundedWait() throws IOException {
        VmRecord vm = runningVm("mute");
        agent(vm, c -> {
            // accepts, reads nothing, says nothing
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> sessions.request(vm, HEALTH, Duration.ofSeconds(1))).isInstanceOf(BangerException.class)
                .hasMessageContaining("did not answer");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anAgentThatDiesBehindAnOpenPortIsNoticedNotWaitedForForever() throws Exception {
        sessions = new AgentSessions(d.vmms, d.liveness, Duration.ofMillis(200), Duration.ofMillis(500));
        VmRecord vm = runningVm("dies");
        java.util.concurrent.atomic.AtomicBoolean dead = new java.util.concurrent.atomic.AtomicBoolean();
        agent(vm, c -> {
            if (dead.get()) {
                return; // a port with nobody behind it: accepted, never answered
            }
            // As QEMU's chardev does when the guest's agent dies: the connection stays open, nothing answers.
            java.io.InputStream in = new java.io.FilterInputStream(Channels.newInputStream(c)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    while (dead.get()) { // what arrives after the death is never seen
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                    }
                    return n;
                }
            };
            Channel.guest(in, Channels.newOutputStream(c), ChannelOptions.defaults("fake-agent"),
                    (stream, request) -> {
                        stream.output().write("{\"ok\":true,\"result\":{\"status\":\"ok\"}}\n".getBytes(StandardCharsets.UTF_8));
                        stream.close();
                    }).start();
        });
        assertThat(sessions.request(vm, HEALTH, WAIT).path("status").asText()).isEqualTo("ok");

        dead.set(true);
        Thread.sleep(300); // silent long enough to be pinged
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> sessions.request(vm, HEALTH, WAIT)).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.AGENT_UNAVAILABLE))
                .hasMessageContaining("did not answer");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the ping's and the new handshake's timeouts, no more")
                .isLessThan(Duration.ofSeconds(6));

        dead.set(false); // the agent is back (as after a restart): the next request gets a new channel
        assertThat(sessions.request(vm, HEALTH, WAIT).path("status").asText()).isEqualTo("ok");
    }

    @Test
    void aCommandWhoseAgentDiesEndsInsteadOfWaitingForever() throws Exception {
        sessions = new AgentSessions(d.vmms, d.liveness, Duration.ofMillis(200), Duration.ofSeconds(2)); // a ping may be slow under load
        VmRecord vm = runningVm("dies-busy");
        java.util.concurrent.atomic.AtomicBoolean dead = new java.util.concurrent.atomic.AtomicBoolean();
        agent(vm, c -> {
            java.io.InputStream in = new java.io.FilterInputStream(Channels.newInputStream(c)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    while (dead.get()) { // the agent died; the port stays open
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                    }
                    return n;
                }
            };
            // A command that runs and says nothing (sleep 3600).
            Channel.guest(in, Channels.newOutputStream(c), ChannelOptions.defaults("fake-agent"), (stream, request) -> {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }).start();
        });
        dev.banger.channel.Stream command = sessions.open(vm, Map.of("op", "exec"), WAIT);
        Thread.sleep(700);
        assertThat(sessions.channel(vm, WAIT).isEstablished()).as("a silent command on a live agent keeps its channel (pings answered)").isTrue();

        dead.set(true);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> command.input().read()).isInstanceOf(IOException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("noticed by the keepalive's ping").isLessThan(Duration.ofSeconds(8));
    }
}
