package dev.banger.agent;

import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Lines;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

/**
 * Where the host reaches the agent, each carrying the same channel ({@link Channel}, served by
 * {@link Service}):
 * <ul>
 *   <li>the virtio-serial port named {@link #SERIAL_PORT} (QEMU): no guest network needed; the port is
 *       the host's alone, so nothing to check. One host at a time: when the host goes away (a daemon
 *       restart) the agent waits for the next on the same open port ({@link SerialLine});</li>
 *   <li>vsock (Firecracker; QEMU where vhost-vsock works): only the host, CID 2, is answered;</li>
 *   <li>TCP, the last resort: only from the VM's gateway (the host's bridge address), and only after the
 *       VM's token, sent first as one line ({@code TOKEN <token>}); refused while there is no token.</li>
 * </ul>
 */
final class Transports {
    static final String SERIAL_PORT = "dev.banger.agent0";
    private static final Path VIRTIO_PORTS = Path.of("/sys/class/virtio-ports");
    /** How often the serial port is read while no host is connected (it answers at once then). */
    private static final long POLL_MILLIS = 50;
    private static final int MAX_TCP_CLIENTS = 8;
    private static final int MAX_TOKEN_LINE = 1100;
    private static final int TOKEN_TIMEOUT_MS = 5000;

    private final Service service;
    private final ChannelOptions options;

    Transports(Service service) {
        this.service = service;
        this.options = ChannelOptions.defaults("banger-agent " + Main.version()).withName("agent");
    }

    /** The /dev node of the virtio-serial port named {@code name}, from /sys (no udev in the fast boot). */
    static Optional<Path> serialPort(Path virtioPorts, String name) {
        // A loop, not a stream with lambdas: this runs on the way to the agent's first answer, where every
        // lambda the AOT cache did not see in training spins a class (~50 ms under TCG).
        try (DirectoryStream<Path> ports = Files.newDirectoryStream(virtioPorts)) {
            for (Path p : ports) {
                try {
                    if (Files.readString(p.resolve("name")).strip().equals(name)) {
                        return Optional.of(Path.of("/dev", p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // not a port with a name: the next one
                }
            }
        } catch (IOException e) {
            // no virtio ports at all
        }
        return Optional.empty();
    }

    boolean startSerial() {
        Optional<Path> port = serialPort(VIRTIO_PORTS, SERIAL_PORT);
        if (port.isEmpty()) {
            return false;
        }
        Thread.ofPlatform().daemon().name("serial").start(serialServer(port.get()));
        System.err.println("banger-agent " + Main.version() + ": serving " + port.get() + " (" + SERIAL_PORT + "); " + Main.since());
        return true;
    }

    /** What the serial port's thread runs: opens {@code port} and serves it (the training run only makes one). */
    Runnable serialServer(Path port) {
        return new SerialServer(port);
    }

    /** The serial port's thread (a class, not a lambda: see {@link #serialPort}). */
    private final class SerialServer implements Runnable {
        private final Path port;

        SerialServer(Path port) {
            this.port = port;
        }

        @Override
        public void run() {
            try {
                serveSerial(openSerial(port));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Opens the port read-write, once (a second opener is refused with EBUSY); tried until it opens. */
    private static SerialLine openSerial(Path port) throws InterruptedException {
        String last = "";
        while (true) {
            try {
                RandomAccessFile file = new RandomAccessFile(port.toFile(), "rw"); // open for the agent's life
                return new SerialLine(new FileInputStream(file.getFD()), new FileOutputStream(file.getFD()));
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).equals(last)) {
                    last = String.valueOf(e.getMessage());
                    System.err.println("banger-agent: cannot open " + port + ": " + last + " (trying again)");
                }
                Thread.sleep(POLL_MILLIS);
            }
        }
    }

    /**
     * One channel per host connection on {@code line}: waits for the host's first bytes (polling: a read
     * returns at once while no host is connected), serves the channel until the host goes away, and waits
     * for the next.
     */
    void serveSerial(SerialLine line) throws InterruptedException {
        byte[] first = new byte[4096];
        boolean announced = false;
        while (true) {
            SerialLine.Session session = line.session();
            int n;
            try {
                n = session.read(first, 0, first.length);
            } catch (IOException e) {
                n = -1;
                System.err.println("banger-agent: reading the serial port failed: " + e.getMessage());
            }
            if (n < 0) {
                Thread.sleep(POLL_MILLIS); // no host yet
                continue;
            }
            Channel channel = Channel.guest(new SequenceInputStream(new ByteArrayInputStream(first, 0, n), session), line.output(),
                    options, service);
            channel.start();
            if (!announced) {
                announced = true;
                System.err.println("banger-agent: the host connected over the serial port; " + Main.since());
            }
            try {
                String why = channel.closed().get();
                if (!why.endsWith("closed the connection")) {
                    System.err.println("banger-agent: serial channel ended: " + why);
                }
            } catch (ExecutionException e) {
                System.err.println("banger-agent: serial channel failed: " + e.getCause());
            } finally {
                session.retire();
            }
        }
    }

    /** Serves vsock connections from the host (CID 2) on {@code listener}, one channel each. */
    void serveVsock(int listener) {
        while (true) {
            Vsock.Accepted c;
            try {
                c = Vsock.accept(listener);
            } catch (IOException e) {
                System.err.println("banger-agent: vsock accept failed (" + e.getMessage() + "): vsock serving stops");
                return;
            }
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    if (c.peerCid() == Vsock.VMADDR_CID_HOST) {
                        Channel channel = Channel.guest(Vsock.input(c.fd()), Vsock.output(c.fd()), options, service);
                        channel.start();
                        channel.closed().get();
                    }
                } catch (ExecutionException | RuntimeException e) {
                    // the host went away
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    Vsock.closeQuietly(c.fd());
                }
            });
        }
    }

    /** Who may use the TCP fallback: a connection from {@link #gateway()} that sends {@link #token()} first. */
    interface TcpAccess {
        Optional<String> token();

        Optional<InetAddress> gateway();
    }

    /** Serves TCP on {@code port}, all addresses: the gateway only, the token first, then the channel. */
    void serveTcp(int port, TcpAccess access) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(port), 16);
            System.err.println("banger-agent " + Main.version() + ": listening on TCP port " + port);
            serveTcp(server, access);
        }
    }

    /** Serves TCP connections accepted on {@code server} until it is closed (the training run closes it). */
    void serveTcp(ServerSocket server, TcpAccess access) throws IOException {
        Semaphore clients = new Semaphore(MAX_TCP_CLIENTS);
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
                throw e;
            }
            if (!clients.tryAcquire()) {
                s.close(); // busy: a flood never grows the agent
                continue;
            }
            Thread.ofVirtual().start(new TcpClient(s, access, clients));
        }
    }

    /** One TCP connection's thread (a class, not a lambda: one call site fewer for the AOT cache to miss). */
    private final class TcpClient implements Runnable {
        private final Socket socket;
        private final TcpAccess access;
        private final Semaphore clients;

        TcpClient(Socket socket, TcpAccess access, Semaphore clients) {
            this.socket = socket;
            this.access = access;
            this.clients = clients;
        }

        @Override
        public void run() {
            try (socket) {
                Optional<InetAddress> gw = access.gateway();
                if (gw.isPresent() && gw.get().equals(socket.getInetAddress()) && tokenMatches(socket, access.token())) {
                    socket.setSoTimeout(0);
                    Channel channel = Channel.guest(socket.getInputStream(), socket.getOutputStream(), options, service);
                    channel.start();
                    channel.closed().get();
                }
            } catch (IOException | ExecutionException | RuntimeException e) {
                // a client that went away or sent nonsense
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                clients.release();
            }
        }
    }

    /**
     * The first line must be {@code TOKEN <token>}, bounded in size and time; compared in constant time.
     * No token (not written yet, or unreadable) refuses the connection: TCP is reachable from the guest
     * network, so it is never open without one.
     */
    private static boolean tokenMatches(Socket s, Optional<String> token) throws IOException {
        if (token.isEmpty()) {
            return false;
        }
        s.setSoTimeout(TOKEN_TIMEOUT_MS);
        String line = Lines.readBounded(s.getInputStream(), MAX_TOKEN_LINE);
        String given = line != null && line.startsWith("TOKEN ") ? line.substring("TOKEN ".length()) : "";
        return MessageDigest.isEqual(token.get().getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
