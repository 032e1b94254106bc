package dev.banger.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.ImageManifest;
import dev.banger.api.VmSpec;
import dev.banger.core.VmNames;
import dev.banger.core.vm.VmmKind;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class SnapshotRulesTest {
    private static final ImageManifest IMAGE = new ImageManifest("debian-bookworm", "built", "debian", "bookworm", "6.1", "9",
            Instant.parse("2026-12-01T10:00:00Z"), 60, List.of(new ImageManifest.FileEntry("rootfs.ext4", ImageManifest.ROLE_ROOTFS, 1, "aa"),
            new ImageManifest.FileEntry("vmlinux", ImageManifest.ROLE_VMLINUX, 1, "bb")), List.of(), List.of("fast"));
    private static final VmSpec SPEC = new VmSpec("x", "debian-bookworm", 2, 512, 0, 4096, "qemu");
    private static final SnapshotNeeds NEEDS = new SnapshotNeeds(VmmKind.QEMU, "7.2.22", "microvm", "tcg", 2, 512, "debian-bookworm");

    @Test
    void theTemplateKeyChangesWithEverythingASavedStateDependsOnAndNothingElse() {
        String key = SnapshotRules.templateKey(IMAGE, SPEC, NEEDS);
        assertThat(key).hasSize(32).matches("[0-9a-f]+");
        assertThat(SnapshotRules.templateKey(IMAGE, new VmSpec("other-name", "debian-bookworm", 2, 512, 0, 4096, "qemu"), NEEDS))
                .as("the VM's name is not part of it").isEqualTo(key);
        List<String> changed = List.of(
                SnapshotRules.templateKey(IMAGE, new VmSpec("x", "debian-bookworm", 4, 512, 0, 4096, "qemu"), NEEDS),
                SnapshotRules.templateKey(IMAGE, new VmSpec("x", "debian-bookworm", 2, 640, 0, 4096, "qemu"), NEEDS),
                SnapshotRules.templateKey(IMAGE, new VmSpec("x", "debian-bookworm", 2, 512, 2048, 4096, "qemu"), NEEDS),
                SnapshotRules.templateKey(IMAGE, new VmSpec("x", "debian-bookworm", 2, 512, 0, 8192, "qemu"), NEEDS),
                SnapshotRules.templateKey(IMAGE, SPEC, new SnapshotNeeds(VmmKind.QEMU, "8.0.0", "microvm", "tcg", 2, 512, "debian-bookworm")),
                SnapshotRules.templateKey(IMAGE, SPEC, new SnapshotNeeds(VmmKind.QEMU, "7.2.22", "microvm", "kvm", 2, 512, "debian-bookworm")),
                SnapshotRules.templateKey(IMAGE, SPEC, new SnapshotNeeds(VmmKind.FIRECRACKER, "7.2.22", "microvm", "tcg", 2, 512,
                        "debian-bookworm")),
                SnapshotRules.templateKey(new ImageManifest("debian-bookworm", "built", "debian", "bookworm", "6.1", "9",
                        Instant.parse("2026-12-02T10:00:00Z"), 60, IMAGE.files(), List.of(), List.of("fast")), SPEC, NEEDS),
                SnapshotRules.templateKey(new ImageManifest("debian-bookworm", "built", "debian", "bookworm", "6.1", "9", IMAGE.builtAt(), 60,
                        List.of(new ImageManifest.FileEntry("rootfs.ext4", ImageManifest.ROLE_ROOTFS, 1, "ab"), IMAGE.files().get(1)), List.of(),
                        List.of("fast")), SPEC, NEEDS));
        assertThat(changed).doesNotContain(key).doesNotHaveDuplicates();
    }

    @Test
    void defaultNamesAreTheVmsAndTheMomentAndStayValid() {
        assertThat(SnapshotRules.defaultName("web", Instant.parse("2026-12-02T10:15:00Z"))).isEqualTo("web-20261202-101500");
        String longName = "a".repeat(62) + "-";
        assertThat(VmNames.isValid(SnapshotRules.defaultName("a".repeat(63), Instant.EPOCH))).isTrue();
        assertThat(VmNames.isValid(SnapshotRules.defaultName(longName.substring(0, 47) + "-b", Instant.EPOCH))).isTrue();
    }

    @Property
    void defaultNamesOfAnyValidVmNameAreValid(@ForAll @StringLength(min = 1, max = 63) String raw) {
        String name = raw.toLowerCase().replaceAll("[^a-z0-9-]", "a").replaceAll("^-+|-+$", "");
        if (name.isEmpty()) {
            return;
        }
        assertThat(VmNames.isValid(SnapshotRules.defaultName(name, Instant.parse("2026-12-02T10:15:00Z")))).isTrue();
    }

    @Test
    void forkNamesAreNumberedAndBounded() {
        assertThat(SnapshotRules.forkNames("web", 3)).containsExactly("web-1", "web-2", "web-3");
        assertThatThrownBy(() -> SnapshotRules.forkNames("web", 0)).hasMessageContaining("1 to 16");
        assertThatThrownBy(() -> SnapshotRules.forkNames("web", 17)).hasMessageContaining("1 to 16");
        assertThatThrownBy(() -> SnapshotRules.forkNames("a".repeat(62), 3)).hasMessageContaining("shorter --name");
        assertThatThrownBy(() -> SnapshotRules.forkNames("Web", 2)).isInstanceOf(BangerException.class);
    }

    @Property
    void aForkOfAnyCountHasThatManyDistinctValidNames(@ForAll @IntRange(min = 1, max = 16) int count) {
        List<String> names = SnapshotRules.forkNames("parent", count);
        assertThat(names).hasSize(count).doesNotHaveDuplicates().allMatch(VmNames::isValid);
    }

    @Test
    void aSnapshotNameFollowsTheVmNamesRuleSaidAsASnapshots() {
        assertThat(SnapshotRules.validateName("before-upgrade")).isEqualTo("before-upgrade");
        assertThatThrownBy(() -> SnapshotRules.validateName("Before")).hasMessageContaining("snapshot name");
        assertThatThrownBy(() -> SnapshotRules.validateName("0123456789ab")).hasMessageContaining("an id");
    }

    @Test
    void spaceIsRefusedWithBothNumbersAndTheWayOut() {
        long needed = SnapshotRules.bytesNeeded(512, 100L << 20);
        assertThat(needed).isEqualTo((512L + 100 + 256) << 20);
        SnapshotRules.checkSpace("a snapshot", needed, needed, "/var/lib/banger/snapshots");
        assertThatThrownBy(() -> SnapshotRules.checkSpace("a snapshot of VM web", needed, 300L << 20, "/var/lib/banger/snapshots"))
                .isInstanceOf(BangerException.class).hasMessageContaining("868 MiB").hasMessageContaining("300 MiB free")
                .hasMessageContaining("snapshot rm").extracting(e -> ((BangerException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    }

    @Test
    void templateVmNamesAreValidAndRecognisable() {
        assertThat(SnapshotRules.templateVmName("debian-bookworm", "1a2b")).isEqualTo("warm-debian-bookworm-1a2b");
        assertThat(VmNames.isValid(SnapshotRules.templateVmName("x".repeat(63), "1a2b"))).isTrue();
        assertThat(SnapshotRules.templateVmName("ubuntu_24.04", "00ff")).isEqualTo("warm-ubuntu-24-04-00ff");
    }
}
