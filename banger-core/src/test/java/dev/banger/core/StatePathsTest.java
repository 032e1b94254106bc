package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StatePathsTest {
    private static final String ID = "0123456789ab";

    @Test
    void homeLayout() {
        StatePaths p = StatePaths.forHome(Path.of("/srv/bh"));
        assertThat(p.stateDir()).isEqualTo(Path.of("/srv/bh"));
        assertThat(p.runDir()).isEqualTo(Path.of("/srv/bh/run"));
        assertThat(p.logFile()).isEqualTo(Path.of("/srv/bh/bangerd.log"));
        assertThat(p.configFile()).isEqualTo(Path.of("/srv/bh/config.toml"));
        assertThat(p.database()).isEqualTo(Path.of("/srv/bh/state.db"));
        assertThat(p.socket()).isEqualTo(Path.of("/srv/bh/run/bangerd.sock"));
        assertThat(p.socketStaging()).isEqualTo(Path.of("/srv/bh/run/bangerd.sock.new"));
        assertThat(p.lockFile()).isEqualTo(Path.of("/srv/bh/run/bangerd.lock"));
        assertThat(p.imagesDir()).isEqualTo(Path.of("/srv/bh/images"));
        assertThat(p.sshDir()).isEqualTo(Path.of("/srv/bh/ssh"));
        assertThat(p.vmsDir()).isEqualTo(Path.of("/srv/bh/vms"));
    }

    @Test
    void vmDirectoryLayout() {
        StatePaths p = StatePaths.forHome(Path.of("/srv/bh"));
        Path dir = Path.of("/srv/bh/vms/" + ID);
        assertThat(p.vmDir(ID)).isEqualTo(dir);
        assertThat(p.apiSocket(ID)).isEqualTo(dir.resolve("api.sock"));
        assertThat(p.vsockSocket(ID)).isEqualTo(dir.resolve("vsock.sock"));
        assertThat(p.consoleLog(ID)).isEqualTo(dir.resolve("console.log"));
        assertThat(p.metrics(ID)).isEqualTo(dir.resolve("metrics.json"));
        assertThat(p.systemOverlay(ID)).isEqualTo(dir.resolve("root.qcow2"));
        assertThat(p.workDisk(ID)).isEqualTo(dir.resolve("work.img"));
        assertThat(p.handlesFile(ID)).isEqualTo(dir.resolve("handles.json"));
    }

    @Test
    void homeIsMadeAbsoluteAndNormalised() {
        StatePaths p = StatePaths.forHome(Path.of("/srv/./x/../bh/"));
        assertThat(p.stateDir()).isEqualTo(Path.of("/srv/bh"));
        StatePaths relative = StatePaths.forHome(Path.of("rel-home"));
        assertThat(relative.stateDir().isAbsolute()).isTrue();
        assertThat(relative.stateDir()).isEqualTo(Path.of("rel-home").toAbsolutePath().normalize());
    }

    @Test
    void systemLayout() {
        StatePaths p = StatePaths.systemDefault();
        assertThat(p.stateDir()).isEqualTo(Path.of("/var/lib/banger"));
        assertThat(p.runDir()).isEqualTo(Path.of("/run/banger"));
        assertThat(p.logFile()).isEqualTo(Path.of("/var/log/banger/bangerd.log"));
        assertThat(p.configFile()).isEqualTo(Path.of("/etc/banger/config.toml"));
        assertThat(p.database()).isEqualTo(Path.of("/var/lib/banger/state.db"));
        assertThat(p.socket()).isEqualTo(Path.of("/run/banger/bangerd.sock"));
        assertThat(p.vmDir(ID)).isEqualTo(Path.of("/var/lib/banger/vms/" + ID));
        assertThatCode(p::checkSocketPathLengths).doesNotThrowAnyException();
    }

    @Test
    void environmentWithHome() {
        StatePaths p = StatePaths.fromEnvironment(Map.of("BANGER_HOME", "/tmp/bh", "HOME", "/root"));
        assertThat(p).isEqualTo(StatePaths.forHome(Path.of("/tmp/bh")));
        assertThat(StatePaths.HOME_ENV).isEqualTo("BANGER_HOME");
    }

    @Test
    void environmentWithoutHome() {
        assertThat(StatePaths.fromEnvironment(Map.of())).isEqualTo(StatePaths.systemDefault());
        assertThat(StatePaths.fromEnvironment(Map.of("HOME", "/home/u"))).isEqualTo(StatePaths.systemDefault());
        Map<String, String> withNull = new HashMap<>();
        withNull.put("BANGER_HOME", null);
        assertThat(StatePaths.fromEnvironment(withNull)).isEqualTo(StatePaths.systemDefault());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t", "  \n"})
    void blankHomeMeansTheSystemLayout(String blank) {
        assertThat(StatePaths.fromEnvironment(Map.of("BANGER_HOME", blank))).isEqualTo(StatePaths.systemDefault());
    }

    @Test
    void aShortHomePassesTheSocketCheck() {
        assertThatCode(() -> StatePaths.forHome(Path.of("/tmp/bh")).checkSocketPathLengths()).doesNotThrowAnyException();
    }

    /**
     * The longest socket is HOME/vms/ID/vsock.sock plus Firecracker's "_65535": 34 bytes after HOME, so HOME
     * may be at most 107 - 34 = 73 bytes.
     */
    @Test
    void theLongestAllowedHomeIs73Bytes() {
        Path ok = Path.of("/tmp/" + "a".repeat(68));
        assertThat(ok.toString()).hasSize(73);
        assertThatCode(() -> StatePaths.forHome(ok).checkSocketPathLengths()).doesNotThrowAnyException();

        Path tooDeep = Path.of("/tmp/" + "a".repeat(69));
        assertThatThrownBy(() -> StatePaths.forHome(tooDeep).checkSocketPathLengths())
                .isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("is too deep")
                .hasMessageContaining("would be 108 bytes")
                .hasMessageContaining("allow 107")
                .hasMessageContaining("Set BANGER_HOME to a shorter path (by 1 bytes or more)");
    }

    @Test
    void aDeepHomeIsRejectedNamingBangerHome() {
        Path deep = Path.of("/home/someone/projects/" + "nested/".repeat(20) + "banger-home");
        assertThatThrownBy(() -> StatePaths.forHome(deep).checkSocketPathLengths())
                .isInstanceOf(BangerException.class)
                .hasMessageContaining(deep.toString())
                .hasMessageContaining("BANGER_HOME");
    }

    @Test
    void lengthIsCountedInUtf8Bytes() {
        // 5 + 34 * 2 = 73 bytes, though only 39 characters.
        Path ok = Path.of("/tmp/" + "\u00e9".repeat(34));
        assertThat(ok.toString().getBytes(StandardCharsets.UTF_8)).hasSize(73);
        assertThatCode(() -> StatePaths.forHome(ok).checkSocketPathLengths()).doesNotThrowAnyException();
        Path tooLong = Path.of("/tmp/" + "\u00e9".repeat(35));
        assertThatThrownBy(() -> StatePaths.forHome(tooLong).checkSocketPathLengths())
                .isInstanceOf(BangerException.class).hasMessageContaining("would be 109 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "..", "", "0123456789AB", "../../../etc", "0123456789ab/..", "brisk-otter"})
    void vmDirRejectsAnythingButAnId(String notAnId) {
        StatePaths p = StatePaths.forHome(Path.of("/srv/bh"));
        assertThatThrownBy(() -> p.vmDir(notAnId)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a VM id");
        assertThatThrownBy(() -> p.apiSocket(notAnId)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> p.workDisk(notAnId)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void vmDirRejectsNull() {
        assertThatThrownBy(() -> StatePaths.forHome(Path.of("/srv/bh")).vmDir(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
