package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.Json;
import dev.banger.api.Rpc;
import dev.banger.api.Rpcs;
import dev.banger.core.StatePaths;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bangerd as {@link Daemon} wires it serves every method of {@link Rpcs#ALL} and no other. A real daemon in a
 * temporary home is asked each method with parameters of the wrong shape, which every method refuses before
 * its handler runs (nothing is created, nothing shut down): the answer must be INVALID_PARAMS, never
 * METHOD_NOT_FOUND. An unknown method's error lists what the daemon serves: exactly the descriptors' names.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DaemonMethodsTest {
    @TempDir
    Path home;

    @Test
    void theDaemonServesEveryDescribedMethodAndNoOther() throws Exception {
        StatePaths paths = StatePaths.forHome(home);
        Daemon daemon = Daemon.start(paths);
        Thread serving = Thread.ofPlatform().name("daemon-under-test").start(daemon::run);
        try {
            for (Rpc<?, ?> rpc : Rpcs.ALL) {
                JsonNode reply = call(paths.socket(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + rpc.name() + "\",\"params\":[0]}");

                assertThat(reply.at("/error/data/kind").asText()).as("%s: %s", rpc.name(), reply).isEqualTo("INVALID_PARAMS");
            }
            JsonNode unknown = call(paths.socket(), "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"vm.nonesuch\"}");
            String served = String.join(", ", Rpcs.ALL.stream().map(Rpc::name).sorted().toList());
            assertThat(unknown.at("/error/message").asText()).isEqualTo("unknown method 'vm.nonesuch'; known methods: " + served);
        } finally {
            daemon.close();
            serving.join(10_000);
        }
    }

    private static JsonNode call(Path socket, String line) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            return Json.MAPPER.readTree(in.readLine());
        }
    }
}
