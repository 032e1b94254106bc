package dev.banger.core.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.vm.VmmKind;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SnapshotNeedsTest {
    private static final SnapshotNeeds TAKEN = new SnapshotNeeds(VmmKind.QEMU, "7.2.22", "microvm", "tcg", 2, 512, "debian-bookworm");

    @Test
    void theSameNeedsResume() {
        assertThat(TAKEN.refusal(new SnapshotNeeds(VmmKind.QEMU, "7.2.22", "microvm", "tcg", 2, 512, "debian-bookworm"))).isEmpty();
    }

    @Test
    void everyDifferenceIsNamedAtOnce() {
        var here = new SnapshotNeeds(VmmKind.QEMU, "8.2.0", "microvm", "kvm", 4, 1024, "other");
        assertThat(TAKEN.refusal(here)).hasValueSatisfying(why -> assertThat(why)
                .contains("QEMU 7.2.22, this host has 8.2.0").contains("accelerator tcg, not kvm").contains("2 vCPUs, not 4")
                .contains("512 MiB of memory, not 1024").contains("image debian-bookworm, not other"));
    }

    @Test
    void anotherVmmIsRefusedWithoutComparingVersions() {
        var here = new SnapshotNeeds(VmmKind.FIRECRACKER, "1.10.1", "microvm", "tcg", 2, 512, "debian-bookworm");
        assertThat(TAKEN.refusal(here)).hasValueSatisfying(why -> assertThat(why)
                .contains("taken under QEMU, this VM would run under Firecracker").doesNotContain("1.10.1"));
    }

    @Property
    void anyOneSizeDifferenceRefuses(@ForAll @IntRange(min = 1, max = 64) int vcpus, @ForAll @IntRange(min = 1, max = 65536) int memoryMib) {
        var here = new SnapshotNeeds(VmmKind.QEMU, "7.2.22", "microvm", "tcg", vcpus, memoryMib, "debian-bookworm");
        assertThat(TAKEN.refusal(here).isPresent()).isEqualTo(vcpus != 2 || memoryMib != 512);
    }

    @Test
    void aRecordWithoutCpusOrMemoryIsNotASnapshotsNeeds() {
        assertThatThrownBy(() -> new SnapshotNeeds(VmmKind.QEMU, "7.2.22", "microvm", "tcg", 0, 512, "i")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SnapshotNeeds(VmmKind.QEMU, null, "microvm", "tcg", 1, 512, "i")).isInstanceOf(NullPointerException.class);
    }
}
