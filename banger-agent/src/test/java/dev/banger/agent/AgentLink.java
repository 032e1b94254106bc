package dev.banger.agent;

import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One agent {@link Service} served over a Unix socket to as many host channels as a test opens, one after
 * another or at once: each is what a bangerd session is to the agent in a VM, and what the service keeps
 * (detached processes) outlives them.
 */
final class AgentLink implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final List<Channel> channels = new ArrayList<>();

    AgentLink(Path dir) throws IOException {
        socket = dir.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Service service = ServiceTest.service(dir);
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    SocketChannel s = server.accept();
                    Channel.guest(Channels.newInputStream(s), Channels.newOutputStream(s), ChannelOptions.defaults("agent-test"), service).start();
                }
            } catch (IOException e) {
                // the test is over
            }
        });
    }

    /** A new host session with the agent. */
    Channel connect() throws IOException, InterruptedException {
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        Channel host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("daemon-test"), null);
        host.connect();
        synchronized (channels) {
            channels.add(host);
        }
        return host;
    }

    @Override
    public void close() throws IOException {
        synchronized (channels) {
            channels.forEach(Channel::close);
        }
        server.close();
    }

    /** Writes one record and flushes. */
    static void send(Stream s, int type, byte[] payload) throws IOException {
        OutputStream out = s.output();
        Records.write(out, type, payload);
        out.flush();
    }

    static void send(Stream s, int type, String text) throws IOException {
        send(s, type, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads records until one of {@code type} whose text (with all before it of that type) contains {@code text}. */
    static String readUntil(Stream s, int type, String text) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        Records.Record r;
        while ((r = Records.read(s.input())) != null) {
            if (r.type() == type) {
                seen.write(r.payload());
                if (seen.toString(StandardCharsets.UTF_8).contains(text)) {
                    return seen.toString(StandardCharsets.UTF_8);
                }
            } else if (r.type() == Exec.ERROR || r.type() == Exec.EXIT) {
                throw new AssertionError("record " + r.type() + " (" + r.text() + ") before '" + text + "' in: " + seen);
            }
        }
        throw new AssertionError("the stream ended before '" + text + "' in: " + seen.toString(StandardCharsets.UTF_8));
    }
}
