package dev.banger.channel.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a copy may take as its source: files, directories and links; devices, FIFOs and sockets refused by name. */
class SourceTreeTest {
    @TempDir
    Path dir;

    private Path fifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assertThat(mk.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mk.exitValue()).isZero();
        return p;
    }

    @Test
    void devicesFifosAndSocketsAreRefusedAsSources() throws Exception {
        assertThatThrownBy(() -> SourceTree.of(fifo(dir.resolve("pipe")))).isInstanceOf(CopyRefusal.class)
                .hasMessage("cannot copy " + dir.resolve("pipe") + ": it is a FIFO (only regular files, directories and symbolic links are copied)");
        assertThatThrownBy(() -> SourceTree.of(Path.of("/dev/null"))).hasMessageContaining("it is a character device");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(dir.resolve("sock")));
            assertThatThrownBy(() -> SourceTree.of(dir.resolve("sock"))).hasMessageContaining("it is a socket");
        }
        assertThatThrownBy(() -> SourceTree.of(dir.resolve("missing"))).hasMessage("no such file or directory: " + dir.resolve("missing"));
        assertThatThrownBy(() -> SourceTree.of(Path.of("/"))).hasMessageContaining("cannot copy / itself");
    }

    @Test
    void aFifoInsideATreeStopsTheCopyWithItsNameAndTheReaderHearsWhy() throws Exception {
        Path top = Files.createDirectory(dir.resolve("top"));
        Files.writeString(top.resolve("a"), "before");
        fifo(top.resolve("pipe"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bytes);
        assertThatThrownBy(() -> SourceTree.of(top).send(w)).isInstanceOf(CopyRefusal.class).hasMessageContaining("it is a FIFO");
        w.abort("cannot copy " + top.resolve("pipe") + ": it is a FIFO");
        Path dst = Files.createDirectory(dir.resolve("dst"));
        assertThatThrownBy(() -> Trees.extract(bytes.toByteArray(), dst.toString(), Extractor.ALL_MODE_BITS)).isInstanceOf(PeerFailure.class)
                .hasMessageContaining("pipe: it is a FIFO");
    }

    @Test
    void theNamedPathIsFollowedButNothingBelowIt() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real"));
        Files.writeString(real.resolve("file"), "content");
        Files.createSymbolicLink(real.resolve("inner-link"), Path.of("file"));
        Path link = Files.createSymbolicLink(dir.resolve("named-link"), real);
        SourceTree tree = SourceTree.of(link);
        assertThat(tree.name()).isEqualTo("named-link");
        assertThat(tree.isDirectory()).isTrue();
        Path dst = Files.createDirectory(dir.resolve("dst"));
        Trees.extract(Trees.archive(link), dst.toString(), Extractor.ALL_MODE_BITS);
        assertThat(Files.isSymbolicLink(dst.resolve("named-link"))).isFalse();
        assertThat(dst.resolve("named-link/file")).hasContent("content");
        assertThat(Files.readSymbolicLink(dst.resolve("named-link/inner-link"))).isEqualTo(Path.of("file"));
    }

    @Test
    void relativeSourcesAreNamedByTheirLastComponent() throws IOException {
        assertThat(SourceTree.of(Path.of(".")).name()).isEqualTo(Path.of("").toAbsolutePath().getFileName().toString());
        Path f = Files.writeString(dir.resolve("x.txt"), "x");
        assertThat(SourceTree.of(f).name()).isEqualTo("x.txt");
        assertThat(SourceTree.of(f).isDirectory()).isFalse();
    }
}
