package dev.banger.host.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Only reads: writing would change this host's own settings. Writes are covered in a namespace. */
class ProcSysctlsTest {
    @Test
    void keysMapToProcSys() {
        assertThat(ProcSysctls.path("net.ipv4.ip_forward")).isEqualTo(Path.of("/proc/sys/net/ipv4/ip_forward"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "..", "net/../../etc/passwd", "net.ipv4.", ".net", "NET.ipv4", "net..ipv4", "net ipv4"})
    void keysThatCouldLeaveProcSysAreRejected(String key) {
        assertThatThrownBy(() -> ProcSysctls.path(key)).isInstanceOf(BangerException.class);
    }

    @Test
    void readsIpForward() {
        assertThat(new ProcSysctls().read("net.ipv4.ip_forward")).isIn("0", "1");
    }
}
