package dev.banger.agent;

import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code banger-agent train}: what the agent does when it starts and first serves, done once against
 * itself, so that the image build can record it in an AOT cache (JDK 25, {@code -XX:AOTCacheOutput}) run
 * under the same JVM, flags and jar as in the guest: the classes it loads and links and the call sites it
 * binds are then ready when the guest's agent starts. A host channel speaks to the agent's serial-port
 * code over a Unix socket pair: health, ready, ports, an exec with stdin and output, and an identity whose
 * kernel steps are stand-ins ({@link Inert}: the build host's RNG and clock are never touched) and whose
 * script is {@code true}.
 */
final class Training {
    private Training() {
    }

    static void run() throws Exception {
        Path dir = Files.createTempDirectory("banger-agent-train");
        Path socket = dir.resolve("s");
        // The lookup of the serial port by name, against a made-up sysfs directory (the build has no port).
        Path port = Files.createDirectories(dir.resolve("virtio-ports").resolve("vport9p1"));
        Files.writeString(port.resolve("name"), Transports.SERIAL_PORT + "\n");
        Transports.serialPort(dir.resolve("virtio-ports"), Transports.SERIAL_PORT);
        Users users = new Users(Path.of("/etc/passwd"));
        Identity.Steps unused = new IdentitySteps(); // made, never called: its class is then in the cache
        Service service = new Service(new Ports(), users, dir.resolve("ready"), new Detached(dir.resolve("detached"), users), new Inert());
        Files.writeString(dir.resolve("ready"), "");
        Transports transports = new Transports(service);
        transports.serialServer(port); // made, not run: its class is then in the cache
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread guest = Thread.ofPlatform().daemon().start(() -> {
                try {
                    SocketChannel c = server.accept();
                    transports.serveSerial(new SerialLine(Channels.newInputStream(c), Channels.newOutputStream(c)));
                } catch (IOException | InterruptedException e) {
                    // training is over
                }
            });
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                Channel host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("train"), null);
                host.connect();
                ask(host, "{\"op\":\"health\"}");
                ask(host, "{\"op\":\"ready\",\"timeout_ms\":0}");
                ask(host, "{\"op\":\"ports\"}");
                ask(host, "{\"op\":\"identity\",\"entropy\":\"" + "A".repeat(44) + "\",\"time_ns\":1}");
                try (Stream s = host.open("{\"op\":\"exec\",\"argv\":[\"cat\"],\"stdin\":true}".getBytes(StandardCharsets.UTF_8))) {
                    OutputStream out = s.output();
                    Records.write(out, Exec.STDIN, "training\n".getBytes(StandardCharsets.UTF_8));
                    Records.write(out, Exec.STDIN_EOF, new byte[0]);
                    out.flush();
                    Records.Record r;
                    while ((r = Records.read(s.input())) != null && r.type() != Exec.EXIT) {
                        // STARTED, STDOUT
                    }
                }
                host.close();
            }
            guest.interrupt();
            trainTcp(transports);
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir.resolve("ready"));
            Files.deleteIfExists(port.resolve("name"));
            Files.deleteIfExists(port);
            Files.deleteIfExists(port.getParent());
            Files.deleteIfExists(dir);
        }
    }

    /** The TCP fallback's accept path, on loopback: a connection the access rule turns away (not the gateway). */
    private static void trainTcp(Transports transports) throws IOException, InterruptedException {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread listener = Thread.ofPlatform().daemon().start(() -> {
                try {
                    transports.serveTcp(server, new Main.GuestTcpAccess());
                } catch (IOException e) {
                    // training is over
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                client.getOutputStream().write("TOKEN none\n".getBytes(StandardCharsets.UTF_8));
                client.getInputStream().read(); // the agent hangs up: loopback is not the gateway
            }
            server.close();
            listener.join(5000);
        }
    }

    /** The identity op's steps for the training run: nothing done to the kernel; the script is {@code true}. */
    private static final class Inert implements Identity.Steps {
        @Override
        public boolean reseed(byte[] entropy) {
            return false;
        }

        @Override
        public long setClock(long epochNanos) {
            return 0;
        }

        @Override
        public Identity.Ran reidentify() throws IOException {
            return IdentitySteps.run(List.of("true"), 5_000, Identity.LOG_BYTES);
        }
    }

    private static void ask(Channel host, String request) throws IOException {
        try (Stream s = host.open(request.getBytes(StandardCharsets.UTF_8))) {
            s.input().readAllBytes();
        }
    }
}
