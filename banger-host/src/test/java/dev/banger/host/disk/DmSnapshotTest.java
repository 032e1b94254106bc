package dev.banger.host.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DmSnapshotTest {
    @Test
    void theTableIsAPersistentSnapshotOfTheWholeBase() {
        assertThat(DmSnapshot.table(2L << 30, "/dev/loop3", "/dev/loop4")).isEqualTo("0 4194304 snapshot /dev/loop3 /dev/loop4 P 8");
        assertThat(DmSnapshot.create("banger-0123456789ab", "0 8 snapshot /dev/loop0 /dev/loop1 P 8"))
                .containsExactly("dmsetup", "create", "banger-0123456789ab", "--table", "0 8 snapshot /dev/loop0 /dev/loop1 P 8");
    }

    @Test
    void badSizesAndDevicesAreRefusedBeforeAnyCommandIsBuilt() {
        assertThatThrownBy(() -> DmSnapshot.table(1000, "/dev/loop3", "/dev/loop4")).isInstanceOf(BangerException.class)
                .hasMessageContaining("512-byte sectors");
        assertThatThrownBy(() -> DmSnapshot.table(0, "/dev/loop3", "/dev/loop4")).isInstanceOf(BangerException.class);
        for (String bad : new String[] {"/dev/sda", "/dev/loop3 /dev/sda", "loop3", "/dev/loop", null}) {
            assertThatThrownBy(() -> DmSnapshot.table(4096, bad, "/dev/loop4")).as("%s", bad).isInstanceOf(BangerException.class);
        }
        assertThatThrownBy(() -> DmSnapshot.detachLoop("/dev/nvme0n1")).isInstanceOf(BangerException.class);
        assertThatThrownBy(() -> DmSnapshot.nameFor("../../etc")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loopsAreAttachedReadOnlyForTheBaseAndByAbsolutePath() {
        assertThat(DmSnapshot.attachBaseLoop(Path.of("/var/lib/banger/images/x/rootfs.ext4")))
                .containsExactly("losetup", "--find", "--show", "--read-only", "--", "/var/lib/banger/images/x/rootfs.ext4");
        assertThat(DmSnapshot.attachCowLoop(Path.of("/var/lib/banger/vms/0123456789ab/root.cow")))
                .containsExactly("losetup", "--find", "--show", "--", "/var/lib/banger/vms/0123456789ab/root.cow");
        assertThatThrownBy(() -> DmSnapshot.attachCowLoop(Path.of("relative.cow"))).isInstanceOf(BangerException.class);
    }

    @Test
    void teardownTakesTheTargetDownBeforeItsLoopsAndSkipsWhatIsAbsent() {
        String name = DmSnapshot.nameFor("0123456789ab");
        assertThat(name).isEqualTo("banger-0123456789ab");
        assertThat(DmSnapshot.devicePath(name)).isEqualTo("/dev/mapper/banger-0123456789ab");
        assertThat(DmSnapshot.teardown(name, "/dev/loop4", "/dev/loop3")).containsExactly(
                List.of("dmsetup", "remove", "--retry", "banger-0123456789ab"),
                List.of("losetup", "--detach", "/dev/loop4"),
                List.of("losetup", "--detach", "/dev/loop3"));
        assertThat(DmSnapshot.teardown(null, null, "/dev/loop3")).containsExactly(List.of("losetup", "--detach", "/dev/loop3"));
        assertThat(DmSnapshot.teardown(null, null, null)).isEmpty();
    }
}
