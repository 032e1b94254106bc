package dev.banger.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.agent.SsListeners.Listener;
import dev.banger.agent.SsListeners.Proc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SsListenersTest {
    private static String golden(String name) throws IOException {
        try (InputStream in = SsListenersTest.class.getResourceAsStream("/ss/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void parsesEveryShapeOfListenerAndSkipsWhatIsMalformed() throws IOException {
        SsListeners.Parsed p = SsListeners.parse(golden("mixed.txt"));
        assertThat(p.listeners()).containsExactly(
                new Listener("tcp", "0.0.0.0", 22, List.of(new Proc("sshd", 312))),
                new Listener("tcp", "::", 22, List.of(new Proc("sshd", 312))),
                new Listener("tcp", "127.0.0.1", 5432, List.of(new Proc("postgres", 77))),
                new Listener("tcp", "::1", 631, List.of(new Proc("cupsd", 90))),
                new Listener("udp", "127.0.0.53", 53, List.of(new Proc("systemd-resolve", 40))),
                new Listener("udp", "fe80::1", 123, List.of()),
                new Listener("tcp", "*", 9000, List.of(new Proc("node", 500), new Proc("node", 501))),
                new Listener("tcp", "::ffff:127.0.0.1", 8081, List.of(new Proc("my server", 6))),
                new Listener("tcp", "0.0.0.0", 8443, List.of(new Proc("we\\\"ird,(name)", 7))),
                new Listener("tcp", "0.0.0.0", 3000, List.of(new Proc("café", 8))),
                new Listener("tcp", "0.0.0.0", 80, List.of()));
        // truncated, garbage, an established socket, port out of range, no port, unclosed bracket, sctp
        assertThat(p.skipped()).isEqualTo(7);
    }

    @Test
    void emptyOutputIsNoListeners() {
        assertThat(SsListeners.parse("").listeners()).isEmpty();
        assertThat(SsListeners.parse("\n\n").skipped()).isZero();
    }

    @Test
    void aFloodIsCutAndCounted() {
        String line = "tcp LISTEN 0 5 0.0.0.0:80 0.0.0.0:*\n";
        SsListeners.Parsed p = SsListeners.parse(line.repeat(SsListeners.MAX_LISTENERS + 10));
        assertThat(p.listeners()).hasSize(SsListeners.MAX_LISTENERS);
        assertThat(p.skipped()).isEqualTo(10);
    }

    @Test
    void theAgentsOwnListenerIsLeftOut() throws Exception {
        long me = ProcessHandle.current().pid();
        Ports ports = new Ports(me) {
            @Override
            String runSs() {
                return "tcp LISTEN 0 50 *:1024 *:* users:((\"java\",pid=" + me + ",fd=9))\n"
                        + "tcp LISTEN 0 5 0.0.0.0:8080 0.0.0.0:* users:((\"httpd\",pid=" + (me + 1) + ",fd=3))\n";
            }
        };
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> listeners = (List<Map<String, Object>>) ports.list().get("listeners");
        assertThat(listeners).extracting(l -> l.get("port")).containsExactly(8080);
    }
}
