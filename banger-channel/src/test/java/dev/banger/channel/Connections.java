package dev.banger.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Real connections for channel tests: a connected pair of Unix domain sockets, as QEMU's chardev gives the daemon. */
final class Connections {
    private Connections() {
    }

    /** One end of a connection. */
    record End(InputStream in, OutputStream out, SocketChannel socket) {
    }

    record Pair(End host, End guest) {
    }

    static Pair socketPair(Path dir) throws IOException {
        Path own = Files.createTempDirectory(dir, "uds");
        Path path = own.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(path));
            SocketChannel guest = server.accept();
            return new Pair(end(host), end(guest));
        } finally {
            Files.deleteIfExists(path); // connected sockets need no name
            Files.deleteIfExists(own);
        }
    }

    private static End end(SocketChannel s) {
        return new End(Channels.newInputStream(s), Channels.newOutputStream(s), s);
    }
}
