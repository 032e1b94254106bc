package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.Stream;
import dev.banger.channel.copy.CopyRefusal;
import dev.banger.channel.copy.CopyTarget;
import dev.banger.channel.copy.Extractor;
import dev.banger.channel.copy.PeerFailure;
import dev.banger.channel.copy.SourceTree;
import dev.banger.channel.copy.TarReader;
import dev.banger.channel.copy.TarWriter;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code copy_in} and {@code copy_out} through the agent's real service over a real channel (the host side here
 * is what the CLI does, through bangerd's relay): status lines, the archive, modes kept in the guest (setuid
 * included), the same refusals as the host's for what the host sends, and a source's failure heard by the host.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CopyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Channel host;
    private volatile Channel agent;
    private ServerSocketChannel server;

    @BeforeEach
    void agent() throws Exception {
        Path sock = dir.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        Users users = new Users(Path.of("/etc/passwd"));
        Service service = new Service(new ServiceTest.FixedPorts(), users, dir.resolve("ready"), new Detached(dir.resolve("detached"), users),
                new IdentityTest.Recording());
        Thread.ofVirtual().start(() -> {
            try {
                SocketChannel s = server.accept();
                agent = Channel.guest(Channels.newInputStream(s), Channels.newOutputStream(s), ChannelOptions.defaults("agent-copy-test"), service);
                agent.start();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock));
        host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("host-copy-test"), null);
        host.connect();
    }

    @AfterEach
    void close() throws IOException {
        host.close();
        server.close();
    }

    private Stream open(String op, Path path) throws IOException {
        return host.open(JSON.writeValueAsBytes(Map.of("op", op, "path", path.toString())));
    }

    private static JsonNode line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            assertThat(c).as("a status line before the stream's end").isNotNegative();
            b.write(c);
        }
        return JSON.readTree(b.toByteArray());
    }

    /** copy_in of {@code archive} to {@code destination}: the agent's first and last lines. */
    private JsonNode[] copyIn(Path destination, byte[] archive) throws IOException {
        try (Stream s = open("copy_in", destination)) {
            JsonNode first = line(s.input());
            if (!first.get("ok").asBoolean()) {
                return new JsonNode[] {first, null};
            }
            s.output().write(archive);
            s.output().flush();
            return new JsonNode[] {first, line(s.input())};
        }
    }

    private Path tree() throws IOException {
        Path top = Files.createDirectories(dir.resolve("src/top"));
        Files.createDirectory(top.resolve("sub"));
        byte[] data = new byte[700_000];
        new Random(5).nextBytes(data);
        Files.write(top.resolve("sub/data.bin"), data);
        Files.writeString(top.resolve("tool"), "#!/bin/sh\n");
        Files.setAttribute(top.resolve("tool"), "unix:mode", 04750);
        Files.createSymbolicLink(top.resolve("link"), Path.of("/etc/hostname"));
        Files.setLastModifiedTime(top.resolve("sub/data.bin"), FileTime.from(Instant.ofEpochSecond(1_234_567_890L, 987_654_321)));
        Files.setLastModifiedTime(top.resolve("sub"), FileTime.from(Instant.ofEpochSecond(1_000_000_000L)));
        return top;
    }

    private static byte[] archive(Path source) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SourceTree.of(source).send(new TarWriter(bytes));
        return bytes.toByteArray();
    }

    @Test
    void copyInWritesTheTreeWithEveryModeBit() throws IOException {
        Path top = tree();
        Path guest = Files.createDirectory(dir.resolve("guest"));
        JsonNode[] lines = copyIn(guest, archive(top));
        assertThat(lines[0].get("ok").asBoolean()).isTrue();
        assertThat(lines[1].toString()).isEqualTo("{\"ok\":true,\"result\":{\"files\":2,\"directories\":2,\"symlinks\":1,\"bytes\":700010}}");
        assertThat(Files.readAllBytes(guest.resolve("top/sub/data.bin"))).isEqualTo(Files.readAllBytes(top.resolve("sub/data.bin")));
        assertThat(Files.getAttribute(guest.resolve("top/tool"), "unix:mode")).as("the guest keeps setuid").isEqualTo(0104750);
        assertThat(Files.getLastModifiedTime(guest.resolve("top/sub/data.bin")))
                .isEqualTo(FileTime.from(Instant.ofEpochSecond(1_234_567_890L, 987_654_321)));
        assertThat(Files.getLastModifiedTime(guest.resolve("top/sub"))).isEqualTo(FileTime.from(Instant.ofEpochSecond(1_000_000_000L)));
        assertThat(Files.readSymbolicLink(guest.resolve("top/link"))).isEqualTo(Path.of("/etc/hostname"));
    }

    @Test
    void aDestinationThatCannotBeUsedIsSaidBeforeAnyDataMoves() throws IOException {
        JsonNode[] lines = copyIn(dir.resolve("no/such/dir/f"), new byte[0]);
        assertThat(lines[0].get("ok").asBoolean()).isFalse();
        assertThat(lines[0].get("error").asText()).isEqualTo("no such directory: " + dir.resolve("no/such/dir") + " (create it first)");
        try (Stream s = host.open("{\"op\":\"copy_in\",\"path\":\"relative/x\"}".getBytes(StandardCharsets.UTF_8))) {
            assertThat(line(s.input()).get("error").asText()).contains("must be absolute");
        }
    }

    @Test
    void whatTheHostSendsMeetsTheSameRules() throws IOException {
        Path guest = Files.createDirectory(dir.resolve("guest"));
        Path outside = Files.createDirectory(dir.resolve("outside"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        FileTime t = FileTime.fromMillis(0);
        w.directory("top", 0755, t);
        w.symlink("top/out", outside.toString(), t);
        w.file("top/out/planted", 1, 0644, t, new ByteArrayInputStream(new byte[] {1}));
        w.finish();
        JsonNode[] lines = copyIn(guest, bytes.toByteArray());
        assertThat(lines[1].get("ok").asBoolean()).isFalse();
        assertThat(lines[1].get("error").asText()).contains("its directory is not one this copy made");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void theHostsReasonToStopIsHeard() throws IOException {
        Path guest = Files.createDirectory(dir.resolve("guest"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        w.directory("top", 0755, FileTime.fromMillis(0));
        w.abort("cannot copy /home/u/fifo: it is a FIFO");
        JsonNode[] lines = copyIn(guest, bytes.toByteArray());
        assertThat(lines[1].get("error").asText()).isEqualTo("the host stopped the copy: cannot copy /home/u/fifo: it is a FIFO");
    }

    @Test
    void copyOutSendsTheTreeAndTheHostKeepsItsPermissions() throws IOException {
        Path top = tree();
        Path host = Files.createDirectory(dir.resolve("host"));
        try (Stream s = open("copy_out", top)) {
            JsonNode first = line(s.input());
            assertThat(first.toString()).isEqualTo("{\"ok\":true,\"result\":{\"name\":\"top\",\"directory\":true}}");
            new Extractor(CopyTarget.resolve(host.toString()), Extractor.PERMISSION_BITS).extract(new TarReader(s.input()));
        }
        assertThat(Files.readAllBytes(host.resolve("top/sub/data.bin"))).isEqualTo(Files.readAllBytes(top.resolve("sub/data.bin")));
        assertThat(Files.getAttribute(host.resolve("top/tool"), "unix:mode")).isEqualTo(0100750);
        assertThat(Files.getLastModifiedTime(host.resolve("top/sub"), LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(FileTime.from(Instant.ofEpochSecond(1_000_000_000L)));
    }

    @Test
    void aSourceThatCannotBeCopiedIsRefusedByName() throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0).isTrue();
        try (Stream s = open("copy_out", fifo)) {
            assertThat(line(s.input()).get("error").asText()).contains("it is a FIFO");
        }
        Path top = Files.createDirectory(dir.resolve("withfifo"));
        Files.writeString(top.resolve("a"), "a");
        Files.move(fifo, top.resolve("pipe"));
        Path host = Files.createDirectory(dir.resolve("host"));
        try (Stream s = open("copy_out", top)) {
            assertThat(line(s.input()).get("ok").asBoolean()).isTrue();
            Extractor x = new Extractor(CopyTarget.resolve(host.toString()), Extractor.PERMISSION_BITS);
            TarReader r = new TarReader(s.input());
            try {
                x.extract(r);
                throw new AssertionError("a FIFO in the tree must stop the copy");
            } catch (PeerFailure e) {
                assertThat(e.getMessage()).contains("pipe: it is a FIFO");
            } catch (CopyRefusal e) {
                throw new AssertionError("the agent's reason, not a refusal, was expected", e);
            }
        }
        try (var walk = Files.walk(host)) {
            assertThat(walk.map(p -> p.getFileName().toString())).as("no half-written file").noneMatch(n -> n.startsWith(".banger-cp-"));
        }
    }

    @Test
    void aLargeFileStreamsThroughInConstantMemory() throws IOException {
        Path big = dir.resolve("big");
        byte[] chunk = new byte[1 << 20];
        new Random(9).nextBytes(chunk);
        try (var out = new BufferedOutputStream(Files.newOutputStream(big))) {
            for (int i = 0; i < 64; i++) {
                out.write(chunk);
            }
        }
        Path guest = Files.createDirectory(dir.resolve("guest"));
        try (Stream s = open("copy_in", guest)) {
            assertThat(line(s.input()).get("ok").asBoolean()).isTrue();
            SourceTree.of(big).send(new TarWriter(new BufferedOutputStream(s.output(), 64 * 1024)));
            assertThat(line(s.input()).at("/result/bytes").asLong()).isEqualTo(64L << 20);
            assertThat(agent.stats().maxStreamBufferedBytes()).as("the agent never held more than the stream's window")
                    .isLessThanOrEqualTo(ChannelOptions.DEFAULT_WINDOW);
        }
        assertThat(Files.mismatch(big, guest.resolve("big"))).isEqualTo(-1);
    }
}
