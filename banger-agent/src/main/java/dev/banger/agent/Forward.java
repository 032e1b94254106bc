package dev.banger.agent;

import dev.banger.channel.Relay;
import dev.banger.channel.Stream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;

/**
 * The guest's end of a published port (the host's forwarder opens one stream per connection or UDP client):
 * <ul>
 *   <li>{@code connect}: a TCP connection to guest port {@code port}, relayed byte for byte; each side's EOF is passed on
 *       as a half-close. It goes to loopback unless the port is bound only to a specific address ({@link Listeners#target}),
 *       so a service listening on 127.0.0.1 in the guest is reached too. Nothing listening: the stream ends with status 1
 *       and the reason.</li>
 *   <li>{@code udp}: datagrams to and from guest port {@code port}, each framed on the stream as a 2-byte big-endian
 *       length and the payload. It ends after {@link #UDP_IDLE_MILLIS} without traffic, or when the host closes it.</li>
 *   <li>{@code listeners}: the TCP ports listening in the guest (but the agent's own), as a JSON line {@code {"tcp": [80, 8080]}}, first at once
 *       and then whenever the set changes (checked every second), until the host closes the stream.</li>
 * </ul>
 */
final class Forward {
    static final int CONNECT_TIMEOUT_MILLIS = 3000;
    static final int UDP_IDLE_MILLIS = 120_000;
    static final int MAX_DATAGRAM = 65_507;
    private static final long WATCH_PERIOD_MILLIS = 1000;

    private Forward() {
    }

    static void tcp(Stream stream, Request request) throws IOException {
        int port = (int) request.number("port", 0, 1, 65535);
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MILLIS);
        } catch (IOException onLoopback) {
            socket.close();
            InetAddress target = Listeners.target(Listeners.tcp(), port);
            socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(target, port), CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                socket.close();
                stream.close(1, "nothing accepts connections on port " + port + " in the guest (" + e.getMessage() + ")");
                return;
            }
        }
        try (Socket s = socket) {
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    Relay.copy(stream.input(), s.getOutputStream());
                    s.shutdownOutput();
                } catch (IOException e) {
                    closeQuietly(s);
                }
            });
            try {
                Relay.copy(s.getInputStream(), stream.output());
                stream.closeOutput();
            } catch (IOException e) {
                closeQuietly(s);
            }
            up.join();
            stream.close(0, "closed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stream.close(1, "interrupted");
        }
    }

    static void udp(Stream stream, Request request) throws IOException {
        int port = (int) request.number("port", 0, 1, 65535);
        InetAddress target = Listeners.target(Listeners.udp(), port);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(target, port);
            socket.setSoTimeout(UDP_IDLE_MILLIS);
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    DataInputStream in = new DataInputStream(stream.input());
                    byte[] buf = new byte[MAX_DATAGRAM];
                    while (true) {
                        int n = in.readUnsignedShort();
                        if (n > MAX_DATAGRAM) {
                            throw new IOException("a datagram of " + n + " bytes");
                        }
                        in.readFully(buf, 0, n);
                        socket.send(new DatagramPacket(buf, n));
                    }
                } catch (IOException e) {
                    socket.close(); // the host is done (EOF) or broke the framing: end the other direction too
                }
            });
            byte[] buf = new byte[MAX_DATAGRAM];
            OutputStream out = stream.output();
            try {
                while (true) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    byte[] framed = new byte[2 + p.getLength()];
                    framed[0] = (byte) (p.getLength() >> 8);
                    framed[1] = (byte) p.getLength();
                    System.arraycopy(buf, 0, framed, 2, p.getLength());
                    out.write(framed);
                    out.flush();
                }
            } catch (SocketTimeoutException e) {
                stream.close(0, "idle for " + UDP_IDLE_MILLIS / 1000 + " s");
            } catch (IOException e) {
                stream.close(0, "closed");
            }
            up.interrupt();
        }
    }

    /** {@code hiddenPort}: the agent's own TCP listener, never reported (-1: none). */
    static void watch(Stream stream, int hiddenPort) throws IOException {
        OutputStream out = stream.output();
        String last = null;
        Thread reader = Thread.ofVirtual().start(() -> drain(stream.input())); // ends when the host closes the stream
        try {
            while (reader.isAlive()) {
                String now = tcpPortsLine(Listeners.tcp(), hiddenPort);
                if (!now.equals(last)) {
                    out.write(now.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    last = now;
                }
                reader.join(WATCH_PERIOD_MILLIS);
            }
            stream.close(0, "watch ended");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code {"tcp": [p1, p2]}} and a newline: the distinct listening ports, ascending. */
    static String tcpPortsLine(List<Listeners.Bound> bound, int hiddenPort) {
        TreeSet<Integer> ports = new TreeSet<>();
        for (Listeners.Bound b : bound) {
            if (b.port() != hiddenPort) {
                ports.add(b.port());
            }
        }
        StringBuilder sb = new StringBuilder("{\"tcp\":[");
        String sep = "";
        for (int p : ports) {
            sb.append(sep).append(p);
            sep = ",";
        }
        return sb.append("]}\n").toString();
    }

    private static void drain(InputStream in) {
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) >= 0) {
                // the host sends nothing on a watch; reading notices its end
            }
        } catch (IOException e) {
            // ended
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
