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
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code banger-agent train}: what the agent does when it starts and first serves, done once against
 * itself, so that the image build can record it in an AOT cache (JDK 25, {@code -XX:AOTCacheOutput}) run
 * under the same JVM, flags and jar as in the guest: the classes it loads and links and the call sites it
 * binds are then ready when the guest's agent starts. A host channel speaks to the agent's serial-port
 * code over a Unix socket pair: health, ready, ports, an exec with stdin and output, the file-system ops and a
 * watch, a long-lived process with input ops, and an identity whose
 * kernel steps are stand-ins ({@link StandIn}: the build host's RNG and clock are never touched) and whose
 * network, file and sshd steps are the real ones over a made-up guest tree in a temporary directory, with
 * {@code true} for ip.
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
        Path guestRoot = guestTree(dir.resolve("guest"));
        IdentitySteps guestSteps = new IdentitySteps(guestRoot, List.of(Path.of("/bin/true"), Path.of("/usr/bin/true")));
        Service service = new Service(new Ports(), users, dir.resolve("ready"), new Detached(dir.resolve("detached"), users),
                new StandIn(guestSteps));
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
                ask(host, Identity.STAND_IN_REQUEST);
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
                trainFiles(host, dir.resolve("files"));
                trainProcess(host);
                trainForwarding(host);
                host.close();
            }
            guest.interrupt();
            trainTcp(transports);
        } finally {
            delete(dir);
        }
    }

    /** A guest's files the identity op reads or writes, made up under {@code root}: one NIC, a hosts file, a kernel hostname. */
    private static Path guestTree(Path root) throws IOException {
        Path eth0 = Files.createDirectories(root.resolve("sys/class/net/eth0"));
        Files.writeString(eth0.resolve("address"), "02:00:00:00:00:09\n");
        Files.writeString(Files.createDirectories(root.resolve("sys/class/net/lo")).resolve("address"), "00:00:00:00:00:00\n");
        Files.writeString(Files.createDirectories(root.resolve("proc/sys/kernel")).resolve("hostname"), "banger\n");
        Files.writeString(Files.createDirectories(root.resolve("etc")).resolve("hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tbanger\n");
        Files.createDirectories(root.resolve("run/banger"));
        return root;
    }

    /** Removes {@code dir} and everything in it (no link is followed). */
    private static void delete(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path p : entries) {
                    delete(p);
                }
            }
        }
        Files.deleteIfExists(dir);
    }

    /** The file-system ops over a scratch directory, a watch that sees one file made, and one file written and read whole. */
    private static void trainFiles(Channel host, Path files) throws IOException {
        String root = Json.write(files.toString());
        String made = Json.write(files.resolve("a/b").toString());
        ask(host, "{\"op\":\"fs_mkdir\",\"path\":" + made + "}");
        ask(host, "{\"op\":\"fs_stat\",\"path\":" + made + "}");
        ask(host, "{\"op\":\"fs_list\",\"path\":" + root + ",\"depth\":2}");
        ask(host, "{\"op\":\"fs_move\",\"source\":" + made + ",\"destination\":" + Json.write(files.resolve("c").toString()) + "}");
        ask(host, "{\"op\":\"fs_stat\",\"path\":" + made + "}"); // the not-found path
        try (Stream s = host.open(("{\"op\":\"fs_watch\",\"path\":" + root + ",\"recursive\":true}").getBytes(StandardCharsets.UTF_8))) {
            dev.banger.channel.Lines.readBounded(s.input(), 65536); // started
            Files.writeString(files.resolve("c/new"), "x");
            dev.banger.channel.Lines.readBounded(s.input(), 65536); // its create
        }
        String written = Json.write(files.resolve("c/d/written").toString());
        try (Stream s = host.open(("{\"op\":\"fs_write\",\"path\":" + written + "}").getBytes(StandardCharsets.UTF_8))) {
            dev.banger.channel.Lines.readBounded(s.input(), 65536); // open
            s.output().write("training\n".getBytes(StandardCharsets.UTF_8));
            s.closeOutput();
            s.input().readAllBytes(); // its entry
        }
        ask(host, "{\"op\":\"fs_read\",\"path\":" + written + "}");
        ask(host, "{\"op\":\"fs_remove\",\"path\":" + root + "}");
    }

    /** A long-lived process as the E2B translation runs one: started attached with a tag, input and its end as ops. */
    private static void trainProcess(Channel host) throws IOException {
        try (Stream s = host.open("{\"op\":\"exec\",\"detach\":true,\"attach\":true,\"shared\":true,\"tag\":\"train\",\"stdin\":true,\"argv\":[\"cat\"]}"
                .getBytes(StandardCharsets.UTF_8))) {
            dev.banger.channel.Lines.readBounded(s.input(), 65536);
            ask(host, "{\"op\":\"procs\"}");
            ask(host, "{\"op\":\"proc_input\",\"tag\":\"train\",\"data\":\"dHJhaW5pbmcK\"}");
            ask(host, "{\"op\":\"proc_close_stdin\",\"tag\":\"train\"}");
            Records.Record r;
            while ((r = Records.read(s.input())) != null && r.type() != Exec.EXIT) {
                // STARTED, STDOUT
            }
        }
        try (Stream s = host.open("{\"op\":\"proc_connect\",\"tag\":\"none\"}".getBytes(StandardCharsets.UTF_8))) {
            s.input().readAllBytes(); // the not-found path
        }
    }

    /** A published port's paths: one {@code connect} to a loopback echo, and the first report of a {@code listeners} watch. */
    private static void trainForwarding(Channel host) throws IOException, InterruptedException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(s.getInputStream().readAllBytes());
                } catch (IOException e) {
                    // training is over
                }
            });
            try (Stream s = host.open(("{\"op\":\"connect\",\"port\":" + server.getLocalPort() + "}").getBytes(StandardCharsets.UTF_8))) {
                s.output().write("training".getBytes(StandardCharsets.UTF_8));
                s.output().flush();
                s.closeOutput();
                s.input().readAllBytes();
            }
            echo.join();
        }
        try (Stream s = host.open("{\"op\":\"listeners\"}".getBytes(StandardCharsets.UTF_8))) {
            dev.banger.channel.Lines.readBounded(s.input(), 65536);
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

    /**
     * The identity op's steps for the training run: nothing done to the kernel (RNG, clock); the network, the files
     * and sshd by the real steps over the made-up guest tree ({@code true} as ip, no sshd).
     */
    private static final class StandIn implements Identity.Steps {
        private final IdentitySteps guest;

        StandIn(IdentitySteps guest) {
            this.guest = guest;
        }

        @Override
        public boolean reseed(byte[] entropy) {
            return false;
        }

        @Override
        public long setClock(long epochNanos) {
            return 0;
        }

        @Override
        public Identity.Networked network(Identity.Asked asked) throws IOException {
            return guest.network(asked);
        }

        @Override
        public void files(Identity.Asked asked) throws IOException {
            guest.files(asked);
        }

        @Override
        public String reloadSshd() throws IOException {
            return guest.reloadSshd();
        }
    }

    private static void ask(Channel host, String request) throws IOException {
        try (Stream s = host.open(request.getBytes(StandardCharsets.UTF_8))) {
            s.input().readAllBytes();
        }
    }
}
