package dev.banger.daemon.net.dns;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * banger's DNS server for {@code .vm}: UDP and TCP on one address and port (production: the bridge's
 * gateway, port 53, so only the host and its guests can reach it). {@link #start} returns once both sockets
 * are bound; {@link #close()} stops both loops and waits for them.
 *
 * <p>Every query runs on its own virtual thread, so a slow lookup never holds up the next packet. What a
 * client can make it hold is bounded: a UDP datagram is read into a 4 KiB buffer (the rest is discarded by
 * the kernel), at most {@link #MAX_IN_FLIGHT} queries are answered at once (beyond that UDP packets are
 * dropped, as a busy DNS server does), and TCP allows {@link #MAX_TCP_CONNECTIONS} connections, each with
 * at most {@link #MAX_TCP_QUERIES} queries of up to {@link #MAX_QUERY_BYTES} bytes and a 5 s read timeout.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DnsServer.class.getName());

    static final int MAX_QUERY_BYTES = 4096;
    static final int MAX_IN_FLIGHT = 512;
    static final int MAX_TCP_CONNECTIONS = 64;
    static final int MAX_TCP_QUERIES = 100;
    static final Duration TCP_IDLE = Duration.ofSeconds(5);
    /** With an ephemeral port, the TCP bind may find the UDP port taken: try a few ports. */
    private static final int BIND_ATTEMPTS = 5;

    private final DnsAnswers answers;
    private final DatagramChannel udp;
    private final ServerSocket tcp;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Semaphore tcpConnections = new Semaphore(MAX_TCP_CONNECTIONS);
    private final Set<Socket> openConnections = ConcurrentHashMap.newKeySet();
    private final Thread udpLoop;
    private final Thread tcpLoop;
    private volatile boolean closing;

    private DnsServer(DnsAnswers answers, DatagramChannel udp, ServerSocket tcp) {
        this.answers = answers;
        this.udp = udp;
        this.tcp = tcp;
        this.udpLoop = Thread.ofVirtual().name("dns-udp").unstarted(this::serveUdp);
        this.tcpLoop = Thread.ofVirtual().name("dns-tcp").unstarted(this::serveTcp);
    }

    /** Binds UDP and TCP on {@code address} (port 0: any free port, the same for both) and starts serving. */
    public static DnsServer start(InetSocketAddress address, VmAddresses addresses) throws IOException {
        return start(address, new DnsAnswers(addresses));
    }

    /** As above, with the answers given (an E2B domain's wildcard besides the VMs). */
    public static DnsServer start(InetSocketAddress address, DnsAnswers answers) throws IOException {
        for (int attempt = 1; ; attempt++) {
            DatagramChannel udp = DatagramChannel.open();
            try {
                udp.bind(address);
                InetSocketAddress bound = (InetSocketAddress) udp.getLocalAddress();
                ServerSocket tcp = new ServerSocket();
                try {
                    tcp.setReuseAddress(true); // a restarted daemon must not wait for TIME_WAIT to pass
                    tcp.bind(bound, 64);
                } catch (IOException e) {
                    tcp.close();
                    throw e;
                }
                DnsServer server = new DnsServer(answers, udp, tcp);
                server.udpLoop.start();
                server.tcpLoop.start();
                return server;
            } catch (BindException e) {
                udp.close();
                if (address.getPort() != 0 || attempt == BIND_ATTEMPTS) {
                    throw new BindException("cannot bind the DNS server to " + address + ": " + e.getMessage()
                            + (address.getPort() != 0 && address.getPort() < 1024 ? " (port " + address.getPort()
                            + " needs root, and nothing else may listen there: is dnsmasq bound to all addresses?"
                            + " Give it bind-interfaces)" : ""));
                }
            } catch (IOException | RuntimeException e) {
                udp.close();
                throw e;
            }
        }
    }

    /** Where it listens (UDP and TCP share it). */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) udp.getLocalAddress();
        } catch (IOException e) {
            return (InetSocketAddress) tcp.getLocalSocketAddress();
        }
    }

    private void serveUdp() {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_QUERY_BYTES);
        while (!closing) {
            InetSocketAddress client;
            buffer.clear();
            try {
                client = (InetSocketAddress) udp.receive(buffer);
            } catch (ClosedChannelException e) { // includes AsynchronousCloseException: close() was called
                return;
            } catch (IOException e) {
                LOG.log(Level.FINE, "DNS receive failed", e); // e.g. an ICMP error for an earlier reply
                continue;
            }
            if (client == null || !inFlight.tryAcquire()) {
                continue;
            }
            byte[] packet = new byte[buffer.position()];
            buffer.flip().get(packet);
            Thread.ofVirtual().name("dns-query").start(() -> {
                try {
                    Optional<byte[]> reply = answers.answer(packet, packet.length, true);
                    if (reply.isPresent()) {
                        udp.send(ByteBuffer.wrap(reply.get()), client);
                    }
                } catch (IOException e) {
                    LOG.log(Level.FINE, "DNS reply to " + client + " failed", e);
                } finally {
                    inFlight.release();
                }
            });
        }
    }

    private void serveTcp() {
        while (!closing) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                if (closing || tcp.isClosed()) {
                    return;
                }
                LOG.log(Level.FINE, "DNS accept failed", e);
                continue;
            }
            if (!tcpConnections.tryAcquire()) {
                closeQuietly(socket);
                continue;
            }
            openConnections.add(socket);
            Thread.ofVirtual().name("dns-tcp-conn").start(() -> {
                try (socket) {
                    serveConnection(socket);
                } catch (IOException e) {
                    LOG.log(Level.FINE, "DNS TCP connection ended", e);
                } finally {
                    openConnections.remove(socket);
                    tcpConnections.release();
                }
            });
        }
    }

    /** RFC 7766: two-byte length, then the message; several queries may follow on one connection. */
    private void serveConnection(Socket socket) throws IOException {
        socket.setSoTimeout((int) TCP_IDLE.toMillis());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        byte[] query = new byte[MAX_QUERY_BYTES];
        for (int i = 0; i < MAX_TCP_QUERIES && !closing; i++) {
            int length;
            try {
                length = in.readUnsignedShort();
            } catch (EOFException | SocketTimeoutException e) {
                return; // the client is done, or idle
            }
            if (length > MAX_QUERY_BYTES) {
                return; // no real query is this long; do not read it
            }
            in.readFully(query, 0, length);
            Optional<byte[]> reply;
            if (!inFlight.tryAcquire()) {
                return;
            }
            try {
                reply = answers.answer(query, length, false);
            } finally {
                inFlight.release();
            }
            if (reply.isEmpty()) {
                return;
            }
            byte[] r = reply.get();
            byte[] framed = new byte[r.length + 2];
            framed[0] = (byte) (r.length >>> 8);
            framed[1] = (byte) r.length;
            System.arraycopy(r, 0, framed, 2, r.length);
            out.write(framed);
            out.flush();
        }
    }

    /** Stops serving: closes both sockets and every TCP connection, waits for the loops to end. */
    @Override
    public void close() {
        closing = true;
        try {
            udp.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the DNS UDP socket", e);
        }
        closeQuietly(tcp);
        openConnections.forEach(DnsServer::closeQuietly);
        try {
            udpLoop.join(Duration.ofSeconds(5));
            tcpLoop.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing for good; nothing to do about a failure
        }
    }
}
