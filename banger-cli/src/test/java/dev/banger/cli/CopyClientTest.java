package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.channel.Channel;
import dev.banger.channel.ChannelOptions;
import dev.banger.channel.OpenHandler;
import dev.banger.channel.Stream;
import dev.banger.channel.copy.CopySummary;
import dev.banger.channel.copy.CopyTarget;
import dev.banger.channel.copy.SourceTree;
import dev.banger.channel.copy.TarEntry;
import dev.banger.channel.copy.TarReader;
import dev.banger.channel.copy.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's end of a copy against a fake agent: a real guest {@link Channel} over a Unix socket whose handler
 * sends what a hostile or broken guest could (entries that climb out, a link then a file through it, damaged
 * data, endless status lines, an archive cut short). The CLI refuses each, with a reason, and nothing is
 * written outside the destination or left half-written.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CopyClientTest {
    @TempDir
    Path dir;
    private Path dst;
    private Path outside;
    private ServerSocketChannel server;
    private Channel host;
    private volatile OpenHandler agent;

    @BeforeEach
    void connect() throws Exception {
        dst = Files.createDirectory(dir.resolve("dst"));
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
        Path sock = dir.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        Thread.ofVirtual().start(() -> {
            try {
                SocketChannel s = server.accept();
                Channel.guest(Channels.newInputStream(s), Channels.newOutputStream(s), ChannelOptions.defaults("fake-agent"),
                        (stream, request) -> agent.onOpen(stream, request)).start();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock));
        host = Channel.host(Channels.newInputStream(c), Channels.newOutputStream(c), ChannelOptions.defaults("cli-test"), null);
        host.connect();
    }

    @AfterEach
    void close() throws IOException {
        host.close();
        server.close();
    }

    /** A fake agent that answers every copy_out with {@code status} and then {@code archive}'s bytes. */
    private void agentSends(String status, byte[] archive) {
        agent = (stream, request) -> {
            OutputStream out = stream.output();
            out.write(status.getBytes(StandardCharsets.UTF_8));
            out.write(archive);
            out.flush();
            stream.close(0, "sent");
        };
    }

    private CopySummary copyOut() throws Exception {
        try (Stream s = host.open("{\"op\":\"copy_out\",\"path\":\"/x\"}".getBytes(StandardCharsets.UTF_8))) {
            return new CopyClient("fake").copyOut(s.input(), CopyTarget.resolve(dst.toString()));
        }
    }

    private interface Entries {
        void write(TarWriter w) throws IOException;
    }

    private static byte[] archive(Entries entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        entries.write(w);
        w.finish();
        return bytes.toByteArray();
    }

    private static final FileTime T = FileTime.fromMillis(1_700_000_000_000L);
    private static final String OK = "{\"ok\":true,\"result\":{\"name\":\"top\",\"directory\":true}}\n";

    private static void file(TarWriter w, String name, String content) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        w.file(name, b.length, 04755, T, new java.io.ByteArrayInputStream(b));
    }

    @Test
    void aWellFormedCopyArrivesWithoutSetuid() throws Exception {
        agentSends(OK, archive(w -> {
            w.directory("top", 0750, T);
            file(w, "top/tool", "#!/bin/sh\n");
            w.symlink("top/etc", "/etc", T);
        }));
        assertThat(copyOut()).isEqualTo(new CopySummary(1, 1, 1, 10));
        assertThat(Files.getAttribute(dst.resolve("top/tool"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.readSymbolicLink(dst.resolve("top/etc"))).isEqualTo(Path.of("/etc"));
        assertThat(Files.getLastModifiedTime(dst.resolve("top"), LinkOption.NOFOLLOW_LINKS)).isEqualTo(T);
    }

    @Test
    void hostileEntriesFromTheAgentAreRefused() throws Exception {
        List<Object[]> cases = List.of(
                new Object[] {archive(w -> file(w, "../passwd", "pwned")), "a '..' component"},
                new Object[] {archive(w -> file(w, outside.resolve("passwd").toString(), "pwned")), "an absolute name"},
                new Object[] {archive(w -> {
                    w.directory("top", 0755, T);
                    w.symlink("top/out", outside.toString(), T);
                    file(w, "top/out/passwd", "pwned");
                }), "its directory is not one this copy made"},
                new Object[] {archive(w -> {
                    w.directory("top", 0755, T);
                    w.symlink("top/out", outside.toString(), T);
                    w.directory("top/out", 0755, T);
                    file(w, "top/out/passwd", "pwned");
                }), "a symbolic link is in its place"},
                new Object[] {damaged(), "arrived damaged"},
                new Object[] {cut(), "the archive ended early"});
        for (Object[] c : cases) {
            agentSends(OK, (byte[]) c[0]);
            assertThatThrownBy(this::copyOut).as((String) c[1]).isInstanceOf(BangerException.class)
                    .hasMessageContaining("copying from VM fake: ").hasMessageContaining((String) c[1]);
            assertThat(outside.resolve("passwd")).hasContent("root:x:0:0\n");
            assertThat(Files.exists(dir.resolve("passwd"))).isFalse();
            try (var walk = Files.walk(dst)) {
                assertThat(walk.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".banger-cp-")).doesNotContain("passwd");
            }
        }
    }

    /** A file whose data was changed after it was hashed. */
    private static byte[] damaged() throws IOException {
        byte[] a = archive(w -> {
            w.directory("top", 0755, T);
            file(w, "top/passwd", "pwned but honest");
        });
        a[2 * 512 + 1] ^= 1; // inside the file's data: after top's header and its own (whole-second mtimes need no pax header)
        return a;
    }

    private static byte[] cut() throws IOException {
        byte[] a = archive(w -> {
            w.directory("top", 0755, T);
            file(w, "top/passwd", "x".repeat(5000));
        });
        return java.util.Arrays.copyOf(a, 4000);
    }

    @Test
    void theAgentsRefusalIsTheMessage() throws Exception {
        agentSends("{\"ok\":false,\"error\":\"no such file or directory: /nope\\u001b[2J\"}\n", new byte[0]);
        assertThatThrownBy(this::copyOut).isInstanceOf(BangerException.class).hasMessage("VM fake: no such file or directory: /nope?[2J");
    }

    @Test
    void anEndlessStatusLineIsRefusedWithinItsBound() throws Exception {
        agentSends("{\"ok\":true,\"x\":\"" + "y".repeat(200_000), new byte[0]);
        assertThatThrownBy(this::copyOut).isInstanceOf(BangerException.class).hasMessageContaining("a status line over 65536 bytes");
        agentSends("not json\n", new byte[0]);
        assertThatThrownBy(this::copyOut).isInstanceOf(BangerException.class).hasMessageContaining("not a copy's status");
    }

    @Test
    void copyInWaitsForTheAgentAndReportsItsLastWord() throws Exception {
        Path src = Files.createDirectory(dir.resolve("src"));
        Files.writeString(src.resolve("a"), "abc");
        List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        agent = (stream, request) -> {
            stream.output().write("{\"ok\":true}\n".getBytes(StandardCharsets.UTF_8));
            stream.output().flush();
            // read the archive to its end marker (checking every file), then answer as the agent does
            TarReader archive = new TarReader(stream.input());
            for (TarEntry e; (e = archive.next()) != null; ) {
                received.add(e.name() + (e.kind() == TarEntry.Kind.FILE ? " " + new String(archive.content().readAllBytes(), StandardCharsets.UTF_8) : ""));
            }
            stream.output().write("{\"ok\":false,\"error\":\"No space left on device\"}\n".getBytes(StandardCharsets.UTF_8));
            stream.close(0, "answered");
        };
        try (Stream s = host.open(new byte[] {'{', '}'})) {
            assertThatThrownBy(() -> new CopyClient("fake").copyIn(s.input(), s.output(), SourceTree.of(src)))
                    .isInstanceOf(BangerException.class).hasMessage("VM fake: No space left on device");
        }
        assertThat(received).containsExactly("src", "src/a abc");
    }

    @Test
    void copyInToADestinationTheAgentRefusesSendsNothing() throws Exception {
        Path src = Files.writeString(dir.resolve("f"), "data");
        agent = (stream, request) -> {
            stream.output().write("{\"ok\":false,\"error\":\"no such directory: /missing (create it first)\"}\n".getBytes(StandardCharsets.UTF_8));
            stream.close(0, "answered");
        };
        try (Stream s = host.open(new byte[] {'{', '}'})) {
            assertThatThrownBy(() -> new CopyClient("fake").copyIn(s.input(), s.output(), SourceTree.of(src)))
                    .hasMessage("VM fake: no such directory: /missing (create it first)");
        }
    }

    @Test
    void absoluteKeepsTheTrailingSlash() {
        assertThat(VmCpCommand.absolute("x/")).endsWith("/x/");
        assertThat(VmCpCommand.absolute("x")).endsWith("/x");
        assertThat(VmCpCommand.absolute("/")).isEqualTo("/");
    }
}
