package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The agent's vsock plumbing. This host has AF_VSOCK (it is itself a VM with a vsock device) but no
 * loopback transport, so a real vsock connection cannot be made here: listening is checked on the real
 * socket family, and the byte streams and the conversation over them on a Unix socketpair.
 */
class VsockTest {
    private static int[] socketpair() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle sp = linker.downcallHandle(linker.defaultLookup().find("socketpair").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int rc = (int) sp.invokeExact(1 /* AF_UNIX */, Vsock.SOCK_STREAM, 0, fds);
            assertThat(rc).isZero();
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        }
    }

    @Test
    void listensOnAVsockPortWhereTheKernelHasVsock() throws IOException {
        if (Files.exists(Path.of("/dev/vsock"))) {
            int fd = Vsock.listen(41_000 + (int) (ProcessHandle.current().pid() % 1000));
            assertThat(fd).isNotNegative();
            Vsock.closeQuietly(fd);
        } else {
            assertThatThrownBy(() -> Vsock.listen(41_000)).isInstanceOf(IOException.class).hasMessageContaining("AF_VSOCK");
        }
    }

    @Test
    void sockaddrVmHasTheKernelsLayout() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Vsock.sockaddr(arena, 3, 1024);
            assertThat(a.byteSize()).isEqualTo(16);
            assertThat(a.get(ValueLayout.JAVA_SHORT, 0)).isEqualTo((short) 40);
            assertThat(a.get(ValueLayout.JAVA_INT, 4)).isEqualTo(1024);
            assertThat(a.get(ValueLayout.JAVA_INT, 8)).isEqualTo(3);
            assertThat(a.get(ValueLayout.JAVA_INT, 12)).isZero();
        }
    }

    @Test
    void aConversationOverDescriptorStreams() throws Throwable {
        int[] pair = socketpair();
        Agent agent = new Agent(Optional.of("tok-0123456789abcdef"), Optional::empty, new Ports());
        Thread server = Thread.ofPlatform().start(() -> {
            try {
                agent.converse(Vsock.input(pair[1]), Vsock.output(pair[1]));
            } catch (IOException e) {
                throw new AssertionError(e);
            } finally {
                Vsock.closeQuietly(pair[1]);
            }
        });
        Vsock.output(pair[0]).write("{\"token\":\"tok-0123456789abcdef\",\"method\":\"version\"}\n".getBytes(StandardCharsets.UTF_8));
        InputStream in = Vsock.input(pair[0]);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            got.write(c);
        }
        server.join();
        Vsock.closeQuietly(pair[0]);
        assertThat(got.toString(StandardCharsets.UTF_8)).startsWith("{\"ok\":true,\"result\":{\"version\":");
    }
}
