package dev.banger.core.ports;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.api.Params;
import dev.banger.api.Params.PortListener;
import dev.banger.api.Params.PortProcess;
import dev.banger.api.Params.PortRow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PortRowsTest {
    private static PortListener l(String proto, String address, int port, String name, String command) {
        return new PortListener(proto, address, port, name == null ? List.of() : List.of(new PortProcess(name, 10, command)));
    }

    @Test
    void wildcardBindsBecomeOneNameDotVmRowWithItsScheme() {
        List<PortRow> rows = PortRows.rows("demo.vm", List.of(
                l("tcp", "0.0.0.0", 8080, "python3", "python3 -m http.server 8080"),
                l("tcp", "::", 8080, "python3", "python3 -m http.server 8080"),
                l("tcp", "*", 443, "nginx", "nginx: master process"),
                l("tcp", "172.29.0.2", 5000, "app", "./app"),
                l("udp", "0.0.0.0", 5353, "avahi", "avahi-daemon")),
                Map.of(8080, PortRows.Scheme.HTTP, 443, PortRows.Scheme.HTTPS, 5000, PortRows.Scheme.TCP));
        assertThat(rows).containsExactly(
                new PortRow("https", "demo.vm:443", "https://demo.vm", true, "nginx", "nginx: master process"),
                new PortRow("tcp", "demo.vm:5000", null, true, "app", "./app"),
                new PortRow("udp", "demo.vm:5353", null, true, "avahi", "avahi-daemon"),
                new PortRow("http", "demo.vm:8080", "http://demo.vm:8080", true, "python3", "python3 -m http.server 8080"));
    }

    @Test
    void loopbackListenersAreShownAsNotReachableNotHidden() {
        List<PortRow> rows = PortRows.rows("demo.vm", List.of(
                l("tcp", "127.0.0.1", 5432, "postgres", "postgres -D /var/lib/pg"),
                l("tcp", "::1", 5432, "postgres", "postgres -D /var/lib/pg"),
                l("tcp", "::ffff:127.0.0.1", 9000, null, null),
                l("tcp", "0.0.0.0", 22, "sshd", "sshd: /usr/sbin/sshd")), Map.of(22, PortRows.Scheme.TCP));
        assertThat(rows).containsExactly(
                new PortRow("tcp", "demo.vm:22", null, true, "sshd", "sshd: /usr/sbin/sshd"),
                new PortRow("tcp", "127.0.0.1:5432", null, false, "postgres", "postgres -D /var/lib/pg"),
                new PortRow("tcp", "[::1]:5432", null, false, "postgres", "postgres -D /var/lib/pg"),
                new PortRow("tcp", "[::ffff:127.0.0.1]:9000", null, false, "", ""));
        assertThat(PortRows.tcpPortsToProbe(List.of(l("tcp", "127.0.0.1", 5432, null, null), l("tcp", "0.0.0.0", 22, null, null),
                l("tcp", "::", 22, null, null), l("udp", "0.0.0.0", 53, null, null)))).containsExactly(22);
    }

    @Test
    void severalProcessesOnOneSocketAreListedAndGuestTextIsMadeSafe() {
        PortListener shared = new PortListener("tcp", "0.0.0.0", 80, List.of(new PortProcess("nginx", 1, "nginx: master"),
                new PortProcess("nginx", 2, "nginx: worker"), new PortProcess("evil\u001b[2J\u009b", 3, "x".repeat(500))));
        PortRow row = PortRows.rows("demo.vm", List.of(shared), Map.of(80, PortRows.Scheme.HTTP)).getFirst();
        assertThat(row.url()).isEqualTo("http://demo.vm");
        assertThat(row.process()).isEqualTo("nginx,evil?[2J?");
        assertThat(row.command()).isEqualTo("nginx: master");
        PortRow long_ = PortRows.rows("demo.vm", List.of(new PortListener("tcp", "0.0.0.0", 81, List.of(new PortProcess("x", 1, "y".repeat(500))))),
                Map.of()).getFirst();
        assertThat(long_.command()).hasSize(203).endsWith("...");
        assertThat(long_.proto()).as("not probed: plain tcp").isEqualTo("tcp");
    }
}
