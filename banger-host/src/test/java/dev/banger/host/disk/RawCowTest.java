package dev.banger.host.disk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.host.vm.VmHandles;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fallback root (a full copy) with real files; the dm path's argv is DmSnapshotTest's. */
@Tag("privileged")
class RawCowTest {
    private static final String ID = "0123456789ab";
    @TempDir
    Path dir;

    private Path base(long mib) throws Exception {
        Path base = dir.resolve("rootfs.ext4");
        try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
            f.setLength(mib * 1024 * 1024);
            f.seek(4096);
            f.write("banger base image".getBytes());
        }
        return base;
    }

    @Test
    void withoutDeviceMapperTheRootIsACopyAndTheWarningSaysWhatItCost() throws Exception {
        Path base = base(64);
        List<VmHandles> recorded = new ArrayList<>();
        RawCow.Root root = RawCow.prepare(ID, base, dir.resolve("root.cow"), dir.resolve("root.img"), 0, false,
                VmHandles.NONE, recorded::add);
        assertThat(root.drive()).isEqualTo(dir.resolve("root.img"));
        assertThat(Files.readAllBytes(root.drive())).isEqualTo(Files.readAllBytes(base));
        assertThat(root.warning()).get().asString().contains("device-mapper is not available").contains("64 MiB image")
                .containsAnyOf("a reflink copy", "a sparse copy").contains("modprobe dm_snapshot");
        assertThat(recorded).as("a copy attaches no devices").isEmpty();
        assertThat(dir.resolve("root.cow")).doesNotExist();
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).doesNotContain("root.img.partial");
        long allocatedKib = Long.parseLong(dev.banger.host.HostCommand.run(List.of("du", "-k", root.drive().toString()),
                java.time.Duration.ofSeconds(10)).text().split("\\s+")[0]);
        assertThat(allocatedKib).as("sparse: the 64 MiB of zeros are not written").isLessThan(1024);
    }

    @Test
    void aCopyIsKeptAcrossStartsAndGrownOnlyWhenAsked() throws Exception {
        Path base = base(16);
        Path copy = dir.resolve("root.img");
        RawCow.prepare(ID, base, dir.resolve("root.cow"), copy, 32, false, VmHandles.NONE, h -> { });
        assertThat(Files.size(copy)).isEqualTo(32L * 1024 * 1024);
        Files.write(copy, new byte[] {42}, java.nio.file.StandardOpenOption.WRITE);
        RawCow.Root again = RawCow.prepare(ID, base, dir.resolve("root.cow"), copy, 32, true, VmHandles.NONE, h -> { });
        assertThat(again.drive()).isEqualTo(copy);
        assertThat(again.warning()).as("no new copy, no new warning").isEmpty();
        assertThat(Files.readAllBytes(copy)[0]).as("the VM's data survives a restart").isEqualTo((byte) 42);
    }

    @Test
    void aFailedCopyLeavesNothingBehind() {
        Path missing = dir.resolve("no-such-image");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RawCow.prepare(ID, missing, dir.resolve("root.cow"),
                dir.resolve("root.img"), 0, false, VmHandles.NONE, h -> { })).hasMessageContaining("cannot copy the image");
        assertThat(dir.resolve("root.img")).doesNotExist();
        assertThat(dir.resolve("root.img.partial")).doesNotExist();
    }

    /**
     * The dm path as far as this host goes: real loop devices over the base and the COW file, then
     * dmsetup fails (no device-mapper here). Each loop was recorded as it appeared, and both are detached
     * again, COW first: a failed start holds no loop device.
     */
    @Test
    void aSnapshotThatCannotBeMadeDetachesItsLoops() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(RawCow.deviceMapperUsable(),
                "this host has device-mapper: the failure path needs one without");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices here");
        // dmsetup makes /dev/mapper/control when it is missing, even where the kernel has no device-mapper:
        // what this test's dmsetup made, it removes.
        Path control = Path.of("/dev/mapper/control");
        boolean hadControl = Files.exists(control);
        boolean hadMapperDir = Files.exists(control.getParent());
        try {
            snapshotFailureDetachesLoops();
        } finally {
            if (!hadControl) {
                Files.deleteIfExists(control);
            }
            if (!hadMapperDir) {
                Files.deleteIfExists(control.getParent());
            }
        }
    }

    private void snapshotFailureDetachesLoops() throws Exception {
        Path base = base(16);
        Path cow = dir.resolve("root.cow");
        List<VmHandles> recorded = new ArrayList<>();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RawCow.prepare(ID, base, cow, dir.resolve("root.img"), 0, true,
                VmHandles.NONE, recorded::add)).hasMessageContaining("dm-snapshot banger-" + ID);
        assertThat(recorded).hasSize(2);
        RawCow.RootDevices first = recorded.get(0).part(RawCow.DEVICES, ID).orElseThrow();
        RawCow.RootDevices second = recorded.get(1).part(RawCow.DEVICES, ID).orElseThrow();
        assertThat(first.baseLoop()).matches("/dev/loop[0-9]+");
        assertThat(first.cowLoop()).isNull();
        assertThat(second.cowLoop()).matches("/dev/loop[0-9]+").isNotEqualTo(second.baseLoop());
        assertThat(Files.size(cow)).as("the COW file: sparse, as large as the base").isEqualTo(Files.size(base));
        for (Path f : List.of(base, cow)) {
            assertThat(dev.banger.host.HostCommand.run(List.of("losetup", "-j", f.toString()), java.time.Duration.ofSeconds(10))
                    .text().strip()).as("loop devices left on %s", f).isEmpty();
        }
        assertThat(dir.resolve("root.img")).as("no fallback copy behind the user's back").doesNotExist();
    }

    @Test
    void aControlNodeWithoutTheKernelDriverIsNotDeviceMapper() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/sys/module/dm_mod")),
                "this kernel has device-mapper; the dm path is covered by DmSnapshotTest's argv and needs a real host");
        assertThat(RawCow.deviceMapperUsable()).as("dmsetup cannot talk to a driver that is not there").isFalse();
    }
}
