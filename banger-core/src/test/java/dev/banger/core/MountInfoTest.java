package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MountInfoTest {
    private static final String MOUNTINFO = """
            22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 22 0:5 / /var/lib/banger/images/.build-x-1/rootfs/proc rw - proc proc rw
            31 22 0:6 / /var/lib/banger/images/.build-x-1/rootfs/sys rw - sysfs sysfs rw
            32 22 0:7 / /var/lib/banger/images/.build-x-1/rootfs/dev rw - devtmpfs udev rw
            33 32 0:8 / /var/lib/banger/images/.build-x-1/rootfs/dev/pts rw - devpts devpts rw
            34 22 0:9 / /var/lib/banger/images/.build-x-10 rw - tmpfs t rw
            35 22 0:10 / /mnt/with\\040space rw - tmpfs t rw
            """;

    @Test
    void listsMountsBelowADirectoryDeepestFirst() {
        var mounts = MountInfo.mountPointsUnder(MOUNTINFO, "/var/lib/banger/images/.build-x-1");
        assertThat(mounts).containsExactlyInAnyOrder(
                "/var/lib/banger/images/.build-x-1/rootfs/dev/pts",
                "/var/lib/banger/images/.build-x-1/rootfs/proc",
                "/var/lib/banger/images/.build-x-1/rootfs/dev",
                "/var/lib/banger/images/.build-x-1/rootfs/sys");
        // A mount inside another must be unmounted first.
        assertThat(mounts.indexOf("/var/lib/banger/images/.build-x-1/rootfs/dev/pts"))
                .isLessThan(mounts.indexOf("/var/lib/banger/images/.build-x-1/rootfs/dev"));
    }

    @Test
    void aSiblingWithACommonPrefixIsNotInside() {
        assertThat(MountInfo.mountPointsUnder(MOUNTINFO, "/var/lib/banger/images/.build-x-10"))
                .containsExactly("/var/lib/banger/images/.build-x-10");
    }

    @Test
    void decodesOctalEscapes() {
        assertThat(MountInfo.mountPointsUnder(MOUNTINFO, "/mnt/with space")).containsExactly("/mnt/with space");
    }

    @Test
    void readsTheOptionsOfTheTopMountOnAPoint() {
        String info = MOUNTINFO + "36 22 252:0 /home/u/src /run/banger/mounts/0123456789ab/0/root rw,relatime - ext4 /dev/vda rw\n"
                + "37 36 252:0 /home/u/src /run/banger/mounts/0123456789ab/0/root ro,relatime - ext4 /dev/vda rw\n";
        assertThat(MountInfo.optionsOf(info, "/run/banger/mounts/0123456789ab/0/root")).hasValue(java.util.List.of("ro", "relatime"));
        assertThat(MountInfo.optionsOf(info, "/run/banger/mounts/0123456789ab/1/root")).isEmpty();
    }
}
