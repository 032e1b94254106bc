package dev.banger.core.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.VmIds;
import dev.banger.core.vm.JailerPlan.Drive;
import dev.banger.core.vm.JailerPlan.Kind;
import dev.banger.core.vm.JailerPlan.Placement;
import dev.banger.core.vm.JailerPlan.VmFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JailerPlanTest {
    private static final Path VM = Path.of("/var/lib/banger/vms/0123456789ab");
    private static final Path ROOT = Path.of("/srv/jailer/firecracker/0123456789ab/root");

    static JailerPlan.Builder plan() {
        return JailerPlan.builder().jailerBinary(Path.of("/usr/local/bin/jailer")).firecrackerBinary(Path.of("/usr/local/bin/firecracker"))
                .id("0123456789ab").uid(10000).gid(10001).chrootBaseDir(Path.of("/srv/jailer"));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(UnaryOperator<JailerPlan.Builder> change) {
        return assertInvalid(() -> change.apply(plan()).build());
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        return assertThatThrownBy(call).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    private static VmFiles files() {
        return new VmFiles(Path.of("/var/lib/banger/images/debian/vmlinux"), Optional.of(Path.of("/var/lib/banger/images/debian/initrd.img")),
                List.of(new Drive("rootfs", Path.of("/dev/mapper/banger-0123456789ab"), false, true),
                        new Drive("config", VM.resolve("config.img"), true, false),
                        new Drive("work", VM.resolve("work.img"), false, false),
                        new Drive("base", Path.of("/dev/loop7"), true, true)),
                Optional.of(VM.resolve("firecracker.log")), Optional.of(VM.resolve("metrics.json")));
    }

    @Test
    void argvIsTheJailerThenFirecrackersArgumentsAfterTheSeparator() {
        assertThat(plan().build().argv(List.of("--api-sock", "/api.sock", "--level", "Info"))).containsExactly(
                "/usr/local/bin/jailer", "--id", "0123456789ab", "--exec-file", "/usr/local/bin/firecracker",
                "--uid", "10000", "--gid", "10001", "--chroot-base-dir", "/srv/jailer",
                "--", "--api-sock", "/api.sock", "--level", "Info");
        assertThat(plan().netns(Path.of("/run/netns/banger-0123456789ab")).build().argv(List.of())).containsExactly(
                "/usr/local/bin/jailer", "--id", "0123456789ab", "--exec-file", "/usr/local/bin/firecracker",
                "--uid", "10000", "--gid", "10001", "--chroot-base-dir", "/srv/jailer",
                "--netns", "/run/netns/banger-0123456789ab", "--");
    }

    @Test
    void firecrackerArgumentsMustNotRepeatTheIdTheJailerPasses() {
        assertInvalid(() -> plan().build().argv(List.of("--id", "other"))).hasMessageContaining("--id");
        assertThatThrownBy(() -> plan().build().argv(java.util.Arrays.asList("--api-sock", null))).isInstanceOf(NullPointerException.class);
    }

    @Test
    void idsFollowTheJailersRule() {
        for (String ok : new String[] {"0123456789ab", "a", "A-b-9", "x".repeat(64), VmIds.generate(new Random(7))}) {
            assertThat(JailerPlan.isValidId(ok)).as(ok).isTrue();
            // A short base: with a 64-character id the sockets in the jail would not fit under /srv/jailer.
            assertThat(plan().id(ok).chrootBaseDir(Path.of("/j")).build().id()).isEqualTo(ok);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../x", "a/b", "..", ".", "-rf", "a b", "a_b", "a.b", "a\nb", "a\u0000b", "caf\u00e9", "\uff41bc",
        "\u0661\u0662", "0123456789ab\n"})
    void hostileIdsAreRefused(String id) {
        assertThat(JailerPlan.isValidId(id)).isFalse();
        assertRejected(b -> b.id(id)).hasMessageContaining("jailer id").hasMessageNotContaining("\n");
    }

    @Test
    void idLengthAndNull() {
        assertRejected(b -> b.id("x".repeat(65))).hasMessageContaining("1-64");
        assertRejected(b -> b.id(null)).hasMessageContaining("jailer id ''");
    }

    @Test
    void firecrackerNeverRunsAsRoot() {
        assertRejected(b -> b.uid(0)).hasMessageContaining("uid 0 is root").hasMessageContaining("unprivileged");
        assertRejected(b -> b.gid(0)).hasMessageContaining("gid 0 is root");
        assertRejected(b -> b.uid(-1)).hasMessageContaining("jailer uid -1");
        assertRejected(b -> b.gid(Integer.MAX_VALUE)).hasMessageContaining("from 1 to 2147483646");
        assertThat(plan().uid(1).gid(JailerPlan.MAX_JAIL_ID).build().gid()).isEqualTo(JailerPlan.MAX_JAIL_ID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"srv/jailer", "/srv/../etc", "/srv/./jailer", "/srv/jail,er", "/srv/jail\ner", "/srv/jail\ter"})
    void badChrootBaseDirs(String base) {
        assertRejected(b -> b.chrootBaseDir(Path.of(base))).hasMessageContaining("chroot base directory path");
    }

    @Test
    void otherPathsAreCheckedToo() {
        assertRejected(b -> b.chrootBaseDir(Path.of("/"))).hasMessageContaining("must not be '/'");
        assertRejected(b -> b.chrootBaseDir(null)).hasMessageContaining("chroot base directory path is missing");
        assertRejected(b -> b.firecrackerBinary(Path.of("firecracker"))).hasMessageContaining("firecracker binary path");
        assertRejected(b -> b.firecrackerBinary(Path.of("/"))).hasMessageContaining("names no file");
        assertRejected(b -> b.jailerBinary(Path.of("/usr/bin/../jailer"))).hasMessageContaining("jailer binary path");
        assertRejected(b -> b.netns(Path.of("netns/x"))).hasMessageContaining("network namespace path");
    }

    @Test
    void socketsInTheJailMustFitAUnixSocketAddress() {
        // base + "/firecracker/0123456789ab/root/vsock.sock_65535" (47 bytes) must fit in 107: a base of 60 bytes does.
        Path longest = Path.of("/" + "b".repeat(59));
        assertThat(plan().chrootBaseDir(longest).build().vsockHost() + "_65535").hasSize(107);
        assertRejected(b -> b.chrootBaseDir(Path.of("/" + "b".repeat(60)))).hasMessageContaining("vsock socket")
                .hasMessageContaining("Unix sockets allow 107").hasMessageContaining("shorter chroot base");
    }

    @Test
    void theChrootIsBaseThenFirecrackersFileNameThenTheId() {
        JailerPlan p = plan().build();
        assertThat(p.chrootDir()).isEqualTo(Path.of("/srv/jailer/firecracker/0123456789ab"));
        assertThat(p.rootDir()).isEqualTo(ROOT);
        JailerPlan versioned = plan().firecrackerBinary(Path.of("/opt/fc/firecracker-v1.10.1-x86_64")).chrootBaseDir(Path.of("/var/lib/jails")).build();
        assertThat(versioned.rootDir()).isEqualTo(Path.of("/var/lib/jails/firecracker-v1.10.1-x86_64/0123456789ab/root"));
        assertThat(p.apiSocketInside()).isEqualTo("/api.sock");
        assertThat(p.apiSocketHost()).isEqualTo(ROOT.resolve("api.sock"));
        assertThat(p.vsockInside()).isEqualTo("/vsock.sock");
        assertThat(p.vsockHost()).isEqualTo(ROOT.resolve("vsock.sock"));
    }

    @Test
    void insidePathsAreSingleNamesAtTheJailsRoot() {
        assertThat(JailerPlan.insidePath("vmlinux")).isEqualTo("/vmlinux");
        assertThat(JailerPlan.insidePath("drive-rootfs")).isEqualTo("/drive-rootfs");
        for (String bad : new String[] {"", ".", "..", ".hidden", "a/b", "/vmlinux", "a\nb", "a b", "\u00e9", "x".repeat(256)}) {
            assertInvalid(() -> JailerPlan.insidePath(bad)).as(bad).hasMessageContaining("not a file name for the jail");
        }
        assertInvalid(() -> JailerPlan.insidePath(null));
    }

    @Test
    void hostPathsRoundTripAndNeverLeaveTheRoot() {
        JailerPlan p = plan().build();
        for (Placement pl : p.placements(files())) {
            Path host = p.hostPathOf(pl.insidePath());
            assertThat(host.getParent()).isEqualTo(ROOT);
            assertThat("/" + ROOT.relativize(host)).isEqualTo(pl.insidePath());
        }
        assertThat(p.hostPathOf("/run/firecracker.socket")).isEqualTo(ROOT.resolve("run/firecracker.socket"));
        for (String bad : new String[] {"/..", "/../x", "/../../etc/shadow", "/a/../../x", "/a/../b", "/./x", "vmlinux", "", "/",
            "/a\nb", "/a\u0000b"}) {
            assertInvalid(() -> p.hostPathOf(bad)).as(bad).hasMessageContaining("jail path");
        }
        assertInvalid(() -> p.hostPathOf(null));
    }

    @Test
    void placementsNameEachFileOnceInAFixedOrder() {
        JailerPlan p = plan().build();
        List<Placement> placements = p.placements(files());
        assertThat(placements).containsExactly(
                new Placement(Path.of("/var/lib/banger/images/debian/vmlinux"), "/vmlinux", Kind.HARD_LINK, false),
                new Placement(Path.of("/var/lib/banger/images/debian/initrd.img"), "/initrd.img", Kind.HARD_LINK, false),
                new Placement(Path.of("/dev/mapper/banger-0123456789ab"), "/drive-rootfs", Kind.DEVICE_NODE, true),
                new Placement(VM.resolve("config.img"), "/drive-config", Kind.HARD_LINK, false),
                new Placement(VM.resolve("work.img"), "/drive-work", Kind.HARD_LINK, true),
                new Placement(Path.of("/dev/loop7"), "/drive-base", Kind.DEVICE_NODE, false),
                new Placement(VM.resolve("firecracker.log"), "/firecracker.log", Kind.CREATE_EMPTY, true),
                new Placement(VM.resolve("metrics.json"), "/metrics.json", Kind.CREATE_EMPTY, true));
        assertThat(p.placements(files())).isEqualTo(placements);
        assertThat(placements).filteredOn(Placement::ownedByJailUser).extracting(Placement::insidePath)
                .containsExactly("/drive-rootfs", "/drive-work", "/firecracker.log", "/metrics.json");
    }

    @Test
    void theMinimumIsAKernel() {
        VmFiles kernelOnly = new VmFiles(Path.of("/k/vmlinux"), Optional.empty(), List.of(), Optional.empty(), Optional.empty());
        assertThat(plan().build().placements(kernelOnly)).containsExactly(new Placement(Path.of("/k/vmlinux"), "/vmlinux", Kind.HARD_LINK, false));
    }

    @Test
    void drivesAreUniqueAndNamedSafely() {
        JailerPlan p = plan().build();
        Path k = Path.of("/k/vmlinux");
        assertInvalid(() -> p.placements(new VmFiles(k, Optional.empty(), List.of(new Drive("d", Path.of("/a"), true, false),
                new Drive("d", Path.of("/b"), true, false)), Optional.empty(), Optional.empty()))).hasMessageContaining("drive ids must be unique");
        assertInvalid(() -> p.placements(new VmFiles(k, Optional.empty(), List.of(new Drive("d", k, true, false)),
                Optional.empty(), Optional.empty()))).hasMessageContaining("two roles");
        assertInvalid(() -> p.placements(new VmFiles(k, Optional.empty(), List.of(), Optional.of(Path.of("/v/x")),
                Optional.of(Path.of("/v/x"))))).hasMessageContaining("two roles");
        for (String bad : new String[] {"", "a/b", "../x", "a.b", "a\nb", "x".repeat(65), "\u00e9"}) {
            assertInvalid(() -> new Drive(bad, Path.of("/a"), true, false)).as(bad).hasMessageContaining("drive id");
        }
        assertInvalid(() -> new Drive(null, Path.of("/a"), true, false)).hasMessageContaining("drive id");
        assertInvalid(() -> new Drive("d", Path.of("a"), true, false)).hasMessageContaining("drive d path");
        assertInvalid(() -> new VmFiles(Path.of("/k/../vmlinux"), Optional.empty(), List.of(), Optional.empty(), Optional.empty()))
                .hasMessageContaining("kernel path");
    }
    @Test
    void aSnapshotsFilesAreWrittenByTheJailUserOnSaveAndOnlyReadOnRestore() {
        Path snap = Path.of("/var/lib/banger/snapshots/0123456789ab");
        List<Placement> save = plan().build().snapshotPlacements(snap.resolve("vmstate"), snap.resolve("memory"), true);
        assertThat(save).containsExactly(
                new Placement(snap.resolve("vmstate"), "/snapshot.vmstate", Kind.CREATE_EMPTY, true),
                new Placement(snap.resolve("memory"), "/snapshot.mem", Kind.CREATE_EMPTY, true));
        List<Placement> load = plan().build().snapshotPlacements(snap.resolve("vmstate"), snap.resolve("memory"), false);
        assertThat(load).extracting(Placement::kind).containsOnly(Kind.HARD_LINK);
        assertThat(load).extracting(Placement::ownedByJailUser).containsOnly(false);
        assertThat(load).extracting(Placement::insidePath).doesNotContainAnyElementsOf(
                plan().build().placements(files()).stream().map(Placement::insidePath).toList());
        assertInvalid(() -> plan().build().snapshotPlacements(snap.resolve("x"), snap.resolve("x"), true)).hasMessageContaining("two files");
    }
}
