package dev.banger.fcstub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchDirsTest {
    @TempDir
    Path dir;

    @Test
    void neverInsideTheApiSocketsTreeNorBangersState() {
        assertThat(ScratchDirs.allowed(Path.of("/run/banger-fcstub"), Path.of("/var/lib/banger/vms/abc"))).isTrue();
        assertThat(ScratchDirs.allowed(Path.of("/var/lib/banger/tmp/x"), Path.of("/srv/vms/abc"))).isFalse();
        assertThat(ScratchDirs.allowed(Path.of("/tmp/banger-fcstub"), Path.of("/tmp"))).isFalse();
        assertThat(ScratchDirs.allowed(Path.of("/tmp/banger-fcstub"), Path.of("/tmp/junit1/vm"))).isTrue();
    }

    @Test
    void createdOutsideTheApiSocketsDirectory() throws Exception {
        Path scratch = ScratchDirs.create(dir.resolve("api.sock"));
        try {
            assertThat(scratch).isDirectory();
            assertThat(scratch.startsWith(dir)).isFalse();
            assertThat(ScratchDirs.ownerPid(scratch.getFileName().toString())).isEqualTo(ProcessHandle.current().pid());
        } finally {
            ScratchDirs.deleteTree(scratch);
        }
        assertThat(scratch).doesNotExist();
    }

    @Test
    void staleDirectoriesOfDeadStubsAreRemoved() throws Exception {
        // pid_max is at most 4194304: this pid cannot be alive
        Path dead = Files.createDirectories(dir.resolve("9999999-0123abcd"));
        Files.writeString(dead.resolve("qmp.sock"), "");
        Path alive = Files.createDirectories(dir.resolve(ProcessHandle.current().pid() + "-0123abcd"));
        Path foreign = Files.createDirectories(dir.resolve("not-ours"));
        ScratchDirs.removeStale(dir);
        assertThat(dead).doesNotExist();
        assertThat(alive).isDirectory();
        assertThat(foreign).isDirectory();
        assertThat(ScratchDirs.ownerPid("12-0123abcd")).isEqualTo(12);
        assertThat(ScratchDirs.ownerPid("12-xyz")).isEqualTo(-1);
    }
}
