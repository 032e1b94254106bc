package dev.banger.daemon.publish;

import dev.banger.api.PublishedPort;
import dev.banger.api.VmRecord;
import dev.banger.channel.Stream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * A UDP published port. Each host-side client (source address and port) gets its own {@code udp} stream to the guest
 * agent, so replies find their way back to the client that asked; datagrams travel framed as a 2-byte length and the
 * payload. The agent ends a client's stream after two idle minutes. At most {@link #MAX_CLIENTS} clients at once.
 */
final class UdpForwarder implements Forwarder {
    static final int MAX_CLIENTS = 16;
    static final int MAX_DATAGRAM = 65_507;
    private static final Logger LOG = Logger.getLogger(UdpForwarder.class.getName());

    private final VmRecord vm;
    private final PublishedPort port;
    private final GuestStreams guest;
    private final DatagramChannel channel;
    private final Map<SocketAddress, Stream> clients = new ConcurrentHashMap<>();

    private UdpForwarder(VmRecord vm, PublishedPort port, GuestStreams guest, DatagramChannel channel) {
        this.vm = vm;
        this.port = port;
        this.guest = guest;
        this.channel = channel;
    }

    static UdpForwarder open(VmRecord vm, PublishedPort port, GuestStreams guest) throws IOException {
        DatagramChannel channel = DatagramChannel.open();
        try {
            channel.bind(new InetSocketAddress(port.hostIp(), port.hostPort()));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        UdpForwarder f = new UdpForwarder(vm, port, guest, channel);
        Thread.ofVirtual().name("publish-udp-" + port.hostPort()).start(f::receiveLoop);
        return f;
    }

    @Override
    public PublishedPort port() {
        return port;
    }

    @Override
    public int active() {
        return clients.size();
    }

    private void receiveLoop() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_DATAGRAM);
        while (channel.isOpen()) {
            SocketAddress from;
            buf.clear();
            try {
                from = channel.receive(buf);
            } catch (IOException e) {
                return; // closed
            }
            buf.flip();
            Stream stream = clients.get(from);
            if (stream == null) {
                if (clients.size() >= MAX_CLIENTS) {
                    continue; // UDP may drop; a client table that grows without bound may not
                }
                try {
                    stream = guest.open(vm, Map.of("op", "udp", "port", port.guestPort()));
                } catch (RuntimeException e) {
                    LOG.fine("published port " + port.spec() + " of VM " + vm.name() + ": " + e.getMessage());
                    continue;
                }
                clients.put(from, stream);
                Stream s = stream;
                Thread.ofVirtual().start(() -> replies(from, s));
            }
            try {
                OutputStream out = stream.output();
                byte[] framed = new byte[2 + buf.remaining()];
                framed[0] = (byte) (buf.remaining() >> 8);
                framed[1] = (byte) buf.remaining();
                buf.get(framed, 2, framed.length - 2);
                out.write(framed);
                out.flush();
            } catch (IOException e) {
                forget(from, stream);
            }
        }
    }

    /** The guest's datagrams for one client, sent from the published port; ends with the stream. */
    private void replies(SocketAddress client, Stream stream) {
        try {
            DataInputStream in = new DataInputStream(stream.input());
            byte[] payload = new byte[MAX_DATAGRAM];
            while (true) {
                int n = in.readUnsignedShort();
                if (n > MAX_DATAGRAM) {
                    break; // not the agent's framing: the guest is not trusted
                }
                in.readFully(payload, 0, n);
                channel.send(ByteBuffer.wrap(payload, 0, n), client);
            }
        } catch (IOException e) {
            // the stream ended (idle, closed) or the port was unpublished
        } finally {
            forget(client, stream);
        }
    }

    private void forget(SocketAddress client, Stream stream) {
        clients.remove(client, stream);
        stream.close(0, "closed");
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
        for (Map.Entry<SocketAddress, Stream> e : clients.entrySet()) {
            forget(e.getKey(), e.getValue());
        }
    }
}
