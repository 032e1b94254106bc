package dev.banger.daemon.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.Params;
import dev.banger.api.PublishedPort;
import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Stream;
import dev.banger.store.Database;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publish room with a real SQLite file, real host sockets on loopback and a real agent channel whose guest end is a
 * stand-in: it answers {@code connect} by echoing upper-cased bytes, {@code udp} by echoing framed datagrams, and
 * {@code listeners} with the reports the test queues. The "guest address" of VM n is 127.0.0.(n+1), another loopback
 * address than the host ports', so the direct path is taken when a test server listens on the guest port there, and the
 * agent path when nothing does.
 */
class PublishServiceTest {
    @TempDir
    Path dir;
    private Database db;
    private PublishService service;
    private Channel host;
    private Channel guest;
    private ServerSocketChannel agentSocket;
    private final LinkedBlockingQueue<String> listenerReports = new LinkedBlockingQueue<>();
    private VmRecord web;

    @BeforeEach
    void setUp() throws Exception {
        db = Database.open(dir.resolve("state.db"));
        agentSocket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        agentSocket.bind(UnixDomainSocketAddress.of(dir.resolve("agent.sock")));
        Thread.ofVirtual().start(() -> {
            try {
                SocketChannel s = agentSocket.accept();
                guest = Channel.guest(Channels.newInputStream(s), Channels.newOutputStream(s), ChannelOptions.defaults("guest"), this::serve);
                guest.start();
            } catch (IOException e) {
                // the test is over
            }
        });
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("agent.sock")));
        host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("host"), null);
        host.connect();
        web = vm("web", 1);
        db.vms().insert(web);
        service = new PublishService(db.publishes(), ref -> db.vms().findByName(ref).or(() -> db.vms().findById(ref))
                .orElseThrow(() -> BangerException.notFound("no VM " + ref)), (vm, request) -> {
                    try {
                        return host.open(dev.banger.api.Json.line(request).getBytes(StandardCharsets.UTF_8));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, true, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws IOException {
        service.close();
        host.close();
        agentSocket.close();
        db.close();
    }

    private void serve(Stream stream, byte[] request) throws IOException {
        String r = new String(request, StandardCharsets.UTF_8);
        if (r.contains("\"connect\"")) {
            InputStream in = stream.input();
            OutputStream out = stream.output();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(new String(buf, 0, n, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            stream.closeOutput();
            stream.close(0, "done");
        } else if (r.contains("\"udp\"")) {
            DataInputStream in = new DataInputStream(stream.input());
            OutputStream out = stream.output();
            while (true) {
                int n = in.readUnsignedShort();
                byte[] payload = ("guest:" + new String(in.readNBytes(n), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                out.write(new byte[] {(byte) (payload.length >> 8), (byte) payload.length});
                out.write(payload);
                out.flush();
            }
        } else if (r.contains("\"listeners\"")) {
            try {
                while (true) {
                    String line = listenerReports.poll(30, TimeUnit.SECONDS);
                    if (line == null) {
                        return;
                    }
                    stream.output().write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    stream.output().flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static VmRecord vm(String name, int n) {
        Instant t = Instant.parse("2026-12-02T00:00:00Z");
        VmRuntime r = new VmRuntime(VmState.RUNNING, "127.0.0." + (n + 1), "/x/" + n + "/api.sock", "/x/" + n + "/v.sock", 3 + n,
                "/x/log", "/x/metrics", name + ".vm", "/x/" + n, "/x/" + n + "/root.qcow2", "/x/" + n + "/work.ext4", null);
        return new VmRecord("id" + n, new VmSpec(name, "debian-bookworm", 1, 512, 0, 4096, "qemu"), r, t, t);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static String roundTrip(int port, String text) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aRunningVmsPortIsForwardedThroughTheAgentWhenNothingAcceptsOnTheGuestAddress() throws Exception {
        int hostPort = freePort();
        int guestPort = freePort(); // nothing listens there: the direct path is refused, the agent carries it
        service.publish(new Params.VmPublish("web", hostPort + ":" + guestPort));
        service.running(db.vms().findByName("web").orElseThrow());
        assertThat(roundTrip(hostPort, "hello")).isEqualTo("HELLO");
        assertThat(roundTrip(hostPort, "again")).isEqualTo("AGAIN");
        service.notRunning(web.id());
        assertThat(await(() -> free(hostPort))).as("stopped: the host port is free").isTrue();
        assertThat(db.vms().findByName("web").orElseThrow().publishes()).as("the intent stays").hasSize(1);
    }

    @Test
    void theDirectPathIsTakenWhenTheGuestAcceptsOnItsAddress() throws Exception {
        int hostPort = freePort();
        try (ServerSocket guestService = new ServerSocket(0, 5, InetAddress.getByName(web.runtime().guestIp()))) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = guestService.accept()) {
                    s.getInputStream().readAllBytes();
                    s.getOutputStream().write("direct".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            service.running(web);
            service.publish(new Params.VmPublish("web", hostPort + ":" + guestService.getLocalPort()));
            assertThat(roundTrip(hostPort, "x")).isEqualTo("direct");
        }
    }

    @Test
    void udpDatagramsGoToTheGuestAndRepliesBackToTheirClient() throws Exception {
        int hostPort;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            hostPort = probe.getLocalPort();
        }
        service.running(web);
        service.publish(new Params.VmPublish("web", hostPort + ":53/udp"));
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            client.setSoTimeout(10_000);
            byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(ping, ping.length, InetAddress.getByName("127.0.0.1"), hostPort));
            DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            client.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("guest:ping");
        }
    }

    @Test
    void aTakenPortIsRefusedNamingItsHolderAndNothingIsStored() throws Exception {
        try (ServerSocket foreign = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> service.publish(new Params.VmPublish("web", foreign.getLocalPort() + ":80")))
                    .hasMessageContaining("is in use by pid " + ProcessHandle.current().pid());
            assertThatThrownBy(() -> service.checkFree(List.of(new PublishedPort("127.0.0.1", foreign.getLocalPort(), 80, "tcp"))))
                    .hasMessageContaining("is in use by pid");
        }
        assertThat(db.publishes().all()).isEmpty();
        int port = freePort();
        service.publish(new Params.VmPublish("web", port + ":80"));
        db.vms().insert(vm("other", 2));
        assertThatThrownBy(() -> service.publish(new Params.VmPublish("other", port + ":81")))
                .hasMessageContaining("published by VM 'web'");
        assertThatThrownBy(() -> service.checkFree(List.of(new PublishedPort("0.0.0.0", port, 81, "tcp"))))
                .hasMessageContaining("published by VM 'web'");
        assertThatThrownBy(() -> service.unpublish(new Params.VmPublish("other", Integer.toString(port))))
                .hasMessageContaining("does not publish host port " + port);
    }

    @Test
    void unpublishFreesThePortAtOnce() throws Exception {
        int hostPort = freePort();
        service.running(web);
        VmRecord shown = service.publish(new Params.VmPublish("web", hostPort + ":" + freePort()));
        assertThat(shown.publishes()).hasSize(1);
        assertThat(free(hostPort)).isFalse();
        assertThat(service.unpublish(new Params.VmPublish("web", hostPort + "/tcp")).publishes()).isEmpty();
        assertThat(await(() -> free(hostPort))).isTrue();
        assertThat(db.publishes().all()).isEmpty();
    }

    @Test
    void automaticPublishingFollowsTheGuestsListenersAndNeverTakesAUsersPort() throws Exception {
        int appears = freePort();
        int explicitGuest = freePort();
        int explicitHost = freePort();
        service.publish(new Params.VmPublish("web", explicitHost + ":" + explicitGuest));
        service.running(db.vms().findByName("web").orElseThrow());
        listenerReports.add("{\"tcp\":[22," + appears + "," + explicitGuest + "]}");
        assertThat(await(() -> !free(appears))).as("the new listener's port appears on the host").isTrue();
        VmRecord shown = service.view(db.vms().findByName("web").orElseThrow());
        assertThat(shown.publishes()).filteredOn(PublishedPort::auto).extracting(PublishedPort::hostPort)
                .as("not privileged 22, not a port the user published").containsExactly(appears);
        assertThat(roundTrip(appears, "auto")).isEqualTo("AUTO");
        listenerReports.add("{\"tcp\":[22]}");
        assertThat(await(() -> free(appears))).as("withdrawn with the listener").isTrue();
        listenerReports.add("{\"tcp\":[\"x\"]}"); // a hostile report is ignored
        listenerReports.add("{\"tcp\":[" + appears + "]}");
        assertThat(await(() -> !free(appears))).isTrue();
    }
}
