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
    void aChannelOverDescriptorStreams() throws Throwable {
        int[] pair = socketpair();
        Service service = ServiceTest.service(Path.of("/nonexistent"));
        dev.banger.channel.Channel guest = dev.banger.channel.Channel.guest(Vsock.input(pair[1]), Vsock.output(pair[1]),
                dev.banger.channel.ChannelOptions.defaults("agent-test"), service);
        guest.start();
        dev.banger.channel.Channel host = dev.banger.channel.Channel.host(Vsock.input(pair[0]), Vsock.output(pair[0]),
                dev.banger.channel.ChannelOptions.defaults("daemon-test"), null);
        host.connect();
        try (dev.banger.channel.Stream s = host.open("{\"op\":\"health\"}".getBytes(StandardCharsets.UTF_8))) {
            assertThat(new String(s.input().readAllBytes(), StandardCharsets.UTF_8)).startsWith("{\"ok\":true,\"result\":{\"status\":\"ok\"");
        } finally {
            host.close();
            Vsock.closeQuietly(pair[0]);
            Vsock.closeQuietly(pair[1]);
        }
    }
}
