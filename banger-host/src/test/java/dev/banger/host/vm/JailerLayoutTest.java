package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.JailerPlan;
import dev.banger.core.vm.JailerPlan.Drive;
import dev.banger.core.vm.JailerPlan.Placement;
import dev.banger.core.vm.JailerPlan.VmFiles;
import dev.banger.host.HostCommand;
import dev.banger.host.HostInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real files in a temporary directory, as root (ownership is the point); the jail user is nobody, 65534. */
@Tag("privileged")
class JailerLayoutTest {
    private static final int JAIL = 65534;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    @TempDir
    Path tmp;
    private Path kernel;
    private Path configImg;
    private Path workImg;
    private Path log;
    private Path metrics;
    private JailerPlan plan;

    @BeforeEach
    void files() throws IOException {
        assumeTrue(HostInfo.isRoot(), "placing files for another user needs root");
        Path images = Files.createDirectories(tmp.resolve("state/images/debian"));
        Path vm = Files.createDirectories(tmp.resolve("state/vms/0123456789ab"));
        Path bin = Files.createDirectories(tmp.resolve("state/bin"));
        kernel = write(images.resolve("vmlinux"), "kernel", 0644);
        configImg = write(vm.resolve("config.img"), "config", 0600);
        workImg = write(vm.resolve("work.img"), "work", 0644);
        log = vm.resolve("firecracker.log");
        metrics = vm.resolve("metrics.json");
        write(bin.resolve("firecracker"), "#!/bin/false\n", 0755);
        plan = plan(bin.resolve("firecracker"));
    }

    private JailerPlan plan(Path firecracker) {
        return JailerPlan.builder().jailerBinary(tmp.resolve("state/bin/jailer")).firecrackerBinary(firecracker)
                .id("0123456789ab").uid(JAIL).gid(JAIL).chrootBaseDir(tmp.resolve("jails")).build();
    }

    private List<Placement> placements(Drive... extra) {
        List<Drive> drives = new java.util.ArrayList<>(List.of(new Drive("config", configImg, true, false), new Drive("work", workImg, false, false)));
        drives.addAll(List.of(extra));
        return plan.placements(new VmFiles(kernel, Optional.empty(), drives, Optional.of(log), Optional.of(metrics)));
    }

    private static Path write(Path p, String text, int mode) throws IOException {
        Files.writeString(p, text);
        Files.setAttribute(p, "unix:mode", mode);
        return p;
    }

    private static Object attr(Path p, String name) throws IOException {
        return Files.getAttribute(p, "unix:" + name, NOFOLLOW);
    }

    private static int mode(Path p) throws IOException {
        return (int) attr(p, "mode") & 07777;
    }

    private Path inJail(String name) {
        return plan.rootDir().resolve(name);
    }

    @Test
    void prepareLinksFilesGivesTheJailUserWhatItWritesAndNothingElse() throws IOException {
        Files.writeString(log, "an earlier run's log, longer than the next one's");
        JailerLayout.prepare(plan, placements());

        Path root = plan.rootDir();
        assertThat(root).isEqualTo(tmp.resolve("jails/firecracker/0123456789ab/root")).isDirectory();
        assertThat(mode(root)).isEqualTo(0750);
        assertThat(attr(root, "uid")).isEqualTo(0);
        assertThat(attr(root, "gid")).isEqualTo(JAIL);
        assertThat(mode(plan.chrootDir())).isEqualTo(0750);

        // Hard links: the same inode as the host file.
        for (String[] pair : new String[][] {{"vmlinux", kernel.toString()}, {"drive-config", configImg.toString()},
            {"drive-work", workImg.toString()}, {"firecracker.log", log.toString()}, {"metrics.json", metrics.toString()}}) {
            assertThat(attr(inJail(pair[0]), "ino")).as(pair[0]).isEqualTo(attr(Path.of(pair[1]), "ino"));
            assertThat(Files.isSymbolicLink(inJail(pair[0]))).isFalse();
        }
        // Read-only and world-readable: untouched.
        assertThat(attr(kernel, "uid")).isEqualTo(0);
        assertThat(mode(kernel)).isEqualTo(0644);
        // Read-only but 0600: the jail's group may read it, root still owns it.
        assertThat(attr(configImg, "uid")).isEqualTo(0);
        assertThat(attr(configImg, "gid")).isEqualTo(JAIL);
        assertThat(mode(configImg)).isEqualTo(0640);
        // Written by Firecracker: the jail user's.
        for (Path owned : List.of(workImg, log, metrics)) {
            assertThat(attr(owned, "uid")).as(owned.toString()).isEqualTo(JAIL);
            assertThat(attr(owned, "gid")).as(owned.toString()).isEqualTo(JAIL);
            assertThat(mode(owned) & 0600).isEqualTo(0600);
        }
        assertThat(log).isEmptyFile();
        assertThat(metrics).isEmptyFile();
        assertThat(inJail("firecracker.log")).isEmptyFile();
        assertThat(workImg).hasContent("work");
    }

    @Test
    void prepareTwiceKeepsCorrectLinksAndReplacesWhatIsWrong() throws IOException {
        JailerLayout.prepare(plan, placements());
        Object workInode = attr(inJail("drive-work"), "ino");
        // What a jail user could leave behind: a link out of the jail where a file belongs, a stranger file,
        // the root handed to itself (the jailer does that), and a read-only file it owns.
        Path victim = write(tmp.resolve("victim"), "secret", 0600);
        Files.delete(inJail("vmlinux"));
        Files.createSymbolicLink(inJail("vmlinux"), victim);
        Files.delete(inJail("drive-config"));
        Files.writeString(inJail("drive-config"), "planted");
        Files.setAttribute(plan.rootDir(), "unix:uid", JAIL);
        Files.setAttribute(configImg, "unix:uid", JAIL);
        Files.writeString(log, "a crashed run's log");

        JailerLayout.prepare(plan, placements());

        assertThat(attr(inJail("vmlinux"), "ino")).isEqualTo(attr(kernel, "ino"));
        assertThat(attr(inJail("drive-config"), "ino")).isEqualTo(attr(configImg, "ino"));
        assertThat(attr(inJail("drive-work"), "ino")).isEqualTo(workInode);
        assertThat(attr(plan.rootDir(), "uid")).isEqualTo(0);
        assertThat(attr(configImg, "uid")).isEqualTo(0);
        assertThat(log).isEmptyFile();
        assertThat(victim).hasContent("secret");
        assertThat(attr(victim, "uid")).isEqualTo(0);
        assertThat(mode(victim)).isEqualTo(0600);
    }

    @Test
    void cleanupRemovesTheJailAndOnlyTheJail() throws IOException {
        JailerLayout.prepare(plan, placements());
        Files.createDirectories(inJail("dev/net"));
        Files.createSymbolicLink(inJail("escape"), kernel.getParent());

        JailerLayout.cleanup(plan);

        assertThat(plan.chrootDir()).doesNotExist();
        assertThat(plan.chrootDir().getParent()).isDirectory();
        assertThat(kernel).hasContent("kernel");
        assertThat(workImg).hasContent("work");
        assertThat(log).exists();
        JailerLayout.cleanup(plan);
    }

    @Test
    void cleanupOfAJailThatNeverExistedIsNothing() {
        JailerLayout.cleanup(plan);
        assertThat(tmp.resolve("jails")).doesNotExist();
    }

    @Test
    void cleanupRefusesAJailThatIsASymlink() throws IOException {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere/root"));
        write(elsewhere.resolve("precious"), "keep me", 0644);
        Files.createDirectories(plan.chrootDir().getParent());
        Files.createSymbolicLink(plan.chrootDir(), tmp.resolve("elsewhere"));

        assertThatThrownBy(() -> JailerLayout.cleanup(plan)).isInstanceOf(BangerException.class)
                .hasMessageContaining("a symlink to " + tmp.resolve("elsewhere"))
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
        assertThat(elsewhere.resolve("precious")).hasContent("keep me");
        assertThatThrownBy(() -> JailerLayout.prepare(plan, placements())).isInstanceOf(BangerException.class)
                .hasMessageContaining("is not a directory");
        assertThat(elsewhere.resolve("precious")).hasContent("keep me");
    }

    @Test
    void cleanupRefusesAJailReachedThroughASymlinkedParent() throws IOException {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere/0123456789ab/root"));
        write(elsewhere.resolve("precious"), "keep me", 0644);
        Files.createDirectories(tmp.resolve("jails"));
        Files.createSymbolicLink(tmp.resolve("jails/firecracker"), tmp.resolve("elsewhere"));

        assertThatThrownBy(() -> JailerLayout.cleanup(plan)).isInstanceOf(BangerException.class).hasMessageContaining("resolves to");
        assertThat(elsewhere.resolve("precious")).hasContent("keep me");
    }

    @Test
    void aFirecrackerLinkWithAnotherNameIsRefusedBecauseTheJailerWouldNameTheChrootAfterTheTarget() throws IOException {
        Path real = write(tmp.resolve("state/bin/firecracker-v1.10.1"), "#!/bin/false\n", 0755);
        Path link = Files.createSymbolicLink(tmp.resolve("state/bin/fc"), real);
        plan = plan(link);
        assertThatThrownBy(() -> JailerLayout.prepare(plan, placements())).isInstanceOf(BangerException.class)
                .hasMessageContaining("give " + real);
        plan = plan(tmp.resolve("state/bin/missing-firecracker"));
        assertThatThrownBy(() -> JailerLayout.prepare(plan, placements())).isInstanceOf(BangerException.class)
                .hasMessageContaining("is not a file");
    }

    @Test
    void aMissingSourceOrTheWrongKindOfFileIsNamed() throws IOException {
        Files.delete(workImg);
        assertThatThrownBy(() -> JailerLayout.prepare(plan, placements())).isInstanceOf(BangerException.class)
                .hasMessageContaining(workImg + " does not exist");
        write(workImg, "work", 0644);
        assertThatThrownBy(() -> JailerLayout.prepare(plan, placements(new Drive("fake", kernel.resolveSibling("other"), true, true))))
                .isInstanceOf(BangerException.class).hasMessageContaining("is not a block device");
        Path loop0 = Path.of("/dev/loop0");
        assumeTrue(JailerLayout.isBlockDevice(loop0), "no /dev/loop0 here");
        assertThatThrownBy(() -> JailerLayout.prepare(plan, placements(new Drive("dev", loop0, true, false))))
                .isInstanceOf(BangerException.class).hasMessageContaining("mark the drive as a block device");
    }

    @Test
    void aSourceOnAnotherFilesystemCannotBeHardLinkedAndTheMessageSaysWhatToDo() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        Files.createDirectories(tmp.resolve("jails"));
        assumeTrue(!attr(shm, "dev").equals(attr(tmp.resolve("jails"), "dev")),
                "/dev/shm and the temporary directory are the same filesystem here");
        Path foreign = Files.createTempFile(shm, "banger-jailer-test", ".img");
        try {
            assertThatThrownBy(() -> JailerLayout.prepare(plan, placements(new Drive("foreign", foreign, true, false))))
                    .isInstanceOf(BangerException.class)
                    .hasMessageContaining("different filesystems")
                    .hasMessageContaining("jailer.chroot_base")
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
        } finally {
            Files.deleteIfExists(foreign);
        }
    }

    @Test
    void blockDevicesBecomeNodesWithTheirNumbers() throws IOException {
        Path image = tmp.resolve("loop.img");
        Files.write(image, java.util.Arrays.copyOf("banger-jail".getBytes(StandardCharsets.US_ASCII), 1 << 20));
        HostCommand.Output attach;
        try {
            attach = HostCommand.run(List.of("losetup", "--find", "--show", "--", image.toString()), Duration.ofSeconds(30));
        } catch (BangerException e) {
            attach = new HostCommand.Output(127, e.getMessage());
        }
        assumeTrue(attach.ok(), "cannot attach a loop device here: " + attach.text());
        Path loop = Path.of(attach.text().strip());
        try {
            JailerLayout.prepare(plan, placements(new Drive("rw", loop, false, true)));
            Path node = inJail("drive-rw");
            assertThat(JailerLayout.isBlockDevice(node)).isTrue();
            assertThat(attr(node, "rdev")).isEqualTo(Files.getAttribute(loop, "unix:rdev"));
            assertThat(attr(node, "uid")).isEqualTo(JAIL);
            assertThat(mode(node)).isEqualTo(0600);
            try (InputStream in = Files.newInputStream(node)) {
                assertThat(new String(in.readNBytes(11), StandardCharsets.US_ASCII)).as("the node reaches the device").isEqualTo("banger-jail");
            }
            Object inode = attr(node, "ino");
            JailerLayout.prepare(plan, placements(new Drive("rw", loop, false, true)));
            assertThat(attr(node, "ino")).as("a correct node is kept").isEqualTo(inode);
        } finally {
            HostCommand.run(List.of("losetup", "--detach", loop.toString()), Duration.ofSeconds(30));
        }
    }

    @Test
    void readOnlyDeviceNodesStayRootsAndTheJailsGroupReads() throws IOException {
        Path loop0 = Path.of("/dev/loop0");
        assumeTrue(JailerLayout.isBlockDevice(loop0), "no /dev/loop0 here");
        JailerLayout.prepare(plan, placements(new Drive("base", loop0, true, true)));
        Path node = inJail("drive-base");
        assertThat(attr(node, "rdev")).isEqualTo(Files.getAttribute(loop0, "unix:rdev"));
        assertThat(attr(node, "uid")).isEqualTo(0);
        assertThat(attr(node, "gid")).isEqualTo(JAIL);
        assertThat(mode(node)).isEqualTo(0640);
        // A stale node with other numbers (a device reattached elsewhere) is replaced.
        Files.delete(node);
        HostCommand.run(JailerLayout.mknod(node, 0600, 1, 3), Duration.ofSeconds(10));
        JailerLayout.prepare(plan, placements(new Drive("base", loop0, true, true)));
        assertThat(attr(node, "rdev")).isEqualTo(Files.getAttribute(loop0, "unix:rdev"));
        JailerLayout.cleanup(plan);
        assertThat(plan.chrootDir()).doesNotExist();
        assertThat(JailerLayout.isBlockDevice(loop0)).isTrue();
    }

    @Test
    void deviceNumbersDecodeLinuxsSplitEncoding() {
        assertThat(JailerLayout.major(0x0700)).isEqualTo(7);
        assertThat(JailerLayout.minor(0x0700)).isZero();
        for (long[] mm : new long[][] {{7, 0}, {8, 17}, {259, 1}, {253, 300}, {4095, 0xfffff}, {0x12345, 0x6789a}}) {
            long major = mm[0];
            long minor = mm[1];
            long rdev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
            assertThat(JailerLayout.major(rdev)).as("major of %d:%d", major, minor).isEqualTo(major);
            assertThat(JailerLayout.minor(rdev)).as("minor of %d:%d", major, minor).isEqualTo(minor);
        }
        assertThat(JailerLayout.mknod(Path.of("/srv/jailer/firecracker/x/root/drive-root"), 0640, 253, 3))
                .containsExactly("mknod", "-m", "0640", "--", "/srv/jailer/firecracker/x/root/drive-root", "b", "253", "3");
    }

    @Test
    void onlyBlockDevicesAreBlockDevices() throws IOException {
        assertThat(JailerLayout.isBlockDevice(kernel)).isFalse();
        assertThat(JailerLayout.isBlockDevice(tmp.resolve("missing"))).isFalse();
        assertThat(JailerLayout.isBlockDevice(tmp)).isFalse();
    }
    @Test
    void aSnapshotIsWrittenThroughLinksInARunningJailAndTakenBack() throws IOException {
        JailerLayout.prepare(plan, placements());
        // the jailer hands the root to the jail user; a running jail keeps it so
        Files.setAttribute(plan.rootDir(), "unix:uid", JAIL, NOFOLLOW);
        Path snap = Files.createDirectories(tmp.resolve("state/snapshots/aaaaaaaaaaaa"));
        List<Placement> files = plan.snapshotPlacements(snap.resolve("vmstate"), snap.resolve("memory"), true);
        JailerLayout.addToRunningJail(plan, files);
        assertThat(attr(plan.rootDir(), "uid")).as("the running jail's root is left as it is").isEqualTo(JAIL);
        for (String[] pair : new String[][] {{"snapshot.vmstate", "vmstate"}, {"snapshot.mem", "memory"}}) {
            Path host = snap.resolve(pair[1]);
            assertThat(attr(inJail(pair[0]), "ino")).isEqualTo(attr(host, "ino"));
            assertThat(attr(host, "uid")).as("Firecracker writes it").isEqualTo(JAIL);
        }
        Files.writeString(inJail("snapshot.mem"), "guest memory");
        JailerLayout.removeFromJail(plan, files);
        JailerLayout.takeBack(snap.resolve("memory"));
        assertThat(inJail("snapshot.vmstate")).doesNotExist();
        assertThat(inJail("snapshot.mem")).doesNotExist();
        assertThat(snap.resolve("memory")).hasContent("guest memory");
        assertThat(attr(snap.resolve("memory"), "uid")).isEqualTo(0);
        assertThat(mode(snap.resolve("memory"))).isEqualTo(0600);
        JailerLayout.removeFromJail(plan, files); // again: nothing there, nothing to do
    }

    @Test
    void aRestoreLinksTheSnapshotInReadOnly() throws IOException {
        Path snap = Files.createDirectories(tmp.resolve("state/snapshots/aaaaaaaaaaaa"));
        write(snap.resolve("vmstate"), "state", 0600);
        write(snap.resolve("memory"), "memory", 0600);
        List<Placement> all = new java.util.ArrayList<>(placements());
        all.addAll(plan.snapshotPlacements(snap.resolve("vmstate"), snap.resolve("memory"), false));
        JailerLayout.prepare(plan, all);
        assertThat(inJail("snapshot.mem")).hasContent("memory");
        assertThat(attr(snap.resolve("memory"), "uid")).as("root keeps it").isEqualTo(0);
        assertThat(attr(snap.resolve("memory"), "gid")).as("the jail's group reads it").isEqualTo(JAIL);
        assertThat(mode(snap.resolve("memory"))).isEqualTo(0640);
    }
}
