package dev.banger.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The guest agent's entry point. It runs inside the VM in a trimmed Java runtime, started by the guest's
 * init early in the boot: {@code banger-agent serve [--port N]} serves the host over every transport the
 * VM has ({@link Transports}: its virtio-serial port, vsock, TCP); {@code --version} prints its version.
 */
public final class Main {
    static final int DEFAULT_PORT = 1024;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--version")) {
            System.out.println("banger-agent " + version());
            return;
        }
        if (args.length == 1 && args[0].equals("train")) {
            Training.run();
            return;
        }
        if (args.length >= 1 && args[0].equals("serve")) {
            int port = DEFAULT_PORT;
            if (args.length == 3 && args[1].equals("--port") && args[2].matches("[0-9]{1,5}")) {
                port = Integer.parseInt(args[2]);
            } else if (args.length != 1) {
                usage();
            }
            Users users = new Users(Path.of("/etc/passwd"));
            Transports transports = new Transports(new Service(new Ports(), users, Service.READY, new Detached(Detached.DIR, users),
                    new IdentitySteps(), port));
            transports.startSerial();
            startVsock(transports, port);
            transports.serveTcp(port, new GuestTcpAccess());
            return;
        }
        usage();
    }

    /** Where the kernel lists a virtio vsock device bound to its driver (the module alone is not a device). */
    private static final Path VSOCK_DEVICES = Path.of("/sys/bus/virtio/drivers/vmw_vsock_virtio_transport");

    /**
     * vsock beside TCP where the VM has a vsock device (Firecracker; QEMU with vhost-vsock); else TCP
     * alone, and nothing of vsock is loaded (it would cost RSS for a transport that cannot be used).
     */
    private static void startVsock(Transports transports, int port) {
        if (!hasVsockDevice()) {
            System.err.println("banger-agent: no vsock device in this VM");
            return;
        }
        try {
            int listener = Vsock.listen(port);
            System.err.println("banger-agent " + version() + ": listening on vsock port " + port);
            Thread.ofPlatform().daemon().name("vsock-accept").start(() -> transports.serveVsock(listener));
        } catch (IOException | RuntimeException | LinkageError e) {
            System.err.println("banger-agent: no vsock here (" + e.getMessage() + ")");
        }
    }

    private static boolean hasVsockDevice() {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(VSOCK_DEVICES)) {
            for (Path p : entries) { // a loop, not a stream: no lambda to spin on the way to the first answer
                if (p.getFileName().toString().startsWith("virtio")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static void usage() {
        System.err.println("usage: banger-agent serve [--port N] | train | --version");
        System.exit(2);
    }

    /** The TCP fallback's rule: from the guest's default gateway (the host's bridge), with the VM's token. */
    static final class GuestTcpAccess implements Transports.TcpAccess {
        /**
         * The VM's token, from the file BANGER_AGENT_TOKEN_FILE names (written 0600 by the guest's apply-config),
         * read at each TCP connection: the agent starts before the guest's configuration is applied, so the
         * token may not exist yet (and then TCP is refused); and a restored snapshot's child gets its own from
         * the host (the identity op writes it). Nothing of the guest's identity is kept in the agent:
         * the gateway too is read at each connection, the TCP listener is bound to every address.
         */
        @Override
        public Optional<String> token() {
            String file = System.getenv("BANGER_AGENT_TOKEN_FILE");
            if (file == null || file.isBlank()) {
                return Optional.empty();
            }
            try {
                String t = Files.readString(Path.of(file)).strip();
                return t.isEmpty() ? Optional.empty() : Optional.of(t);
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        @Override
        public Optional<InetAddress> gateway() {
            return Routes.defaultGateway();
        }
    }

    /** Where the agent is in the guest's boot, for its log: the guest's uptime, and how long this JVM took to get here. */
    static String since() {
        String uptime;
        try {
            uptime = Files.readString(Path.of("/proc/uptime")).split(" ")[0] + " s";
        } catch (IOException | RuntimeException e) {
            uptime = "?";
        }
        long jvm = ProcessHandle.current().info().startInstant()
                .map(t -> java.time.Duration.between(t, java.time.Instant.now()).toMillis()).orElse(-1L);
        return "guest uptime " + uptime + ", " + jvm + " ms after the JVM started";
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }
}
