package dev.banger.core.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MountRulesTest {
    private static final List<Path> NONE = List.of();

    @Test
    void parsesTheThreeForms() {
        assertThat(MountRules.parse("/home/u/src:/src")).isEqualTo(new MountRules.Request("/home/u/src", "/src", false));
        assertThat(MountRules.parse("/data:/mnt/data:ro")).isEqualTo(new MountRules.Request("/data", "/mnt/data", true));
        assertThat(MountRules.parse("/data:/mnt/data/:rw")).isEqualTo(new MountRules.Request("/data", "/mnt/data", false));
    }

    @Test
    void refusesBadGuestDirectories() {
        for (String bad : List.of("/d:rel", "/d:/", "/d:/etc", "/d:/a/../b", "/d:/a b", "/d:/a;b", "/d:/opt/banger", "/d:")) {
            assertThatThrownBy(() -> MountRules.parse(bad)).as(bad).isInstanceOf(BangerException.class);
        }
        assertThatThrownBy(() -> MountRules.parse("rel:/x")).hasMessageContaining("absolute");
    }

    @Test
    void capsTheNumberOfMountsAtTheFreeVirtioMmioSlots() {
        assertThat(MountRules.MAX_MOUNTS).isEqualTo(18);
        List<String> specs = new ArrayList<>();
        for (int i = 0; i <= MountRules.MAX_MOUNTS; i++) {
            specs.add("/d:/m" + i);
        }
        assertThatThrownBy(() -> MountRules.parseAll(specs, MountRules.MAX_MOUNTS)).hasMessageContaining("at most 18")
                .hasMessageContaining("virtio-mmio");
        assertThat(MountRules.parseAll(specs.subList(0, 18), MountRules.MAX_MOUNTS)).hasSize(18);
        assertThatThrownBy(() -> MountRules.parseAll(List.of("/a:/x", "/b:/x"), 4)).hasMessageContaining("two mounts on /x");
    }

    @Test
    void theOwnerMayMountAndOthersAreRefusedNamingTheRule() {
        Path etc = Path.of("/etc");
        assertThat(MountRules.refusal(1000, Path.of("/home/u/src"), 1000, NONE)).isEmpty();
        assertThat(MountRules.refusal(1000, etc, 0, NONE)).hasValueSatisfying(why -> assertThat(why)
                .contains("you (uid 1000) do not own /etc").contains("[mounts] allowed"));
        assertThat(MountRules.refusal(-1, Path.of("/home/u"), -1, NONE)).isPresent();
        assertThat(MountRules.refusal(0, etc, 0, NONE)).as("root may mount anything").isEmpty();
    }

    @Test
    void anAllowedEntryCoversItsSubdirectoriesAndNotItsSiblings() {
        List<Path> allowed = List.of(Path.of("/srv/shared"));
        assertThat(MountRules.refusal(1000, Path.of("/srv/shared"), 0, allowed)).isEmpty();
        assertThat(MountRules.refusal(1000, Path.of("/srv/shared/team"), 0, allowed)).isEmpty();
        assertThat(MountRules.refusal(1000, Path.of("/srv/shared2"), 0, allowed)).isPresent();
        assertThat(MountRules.refusal(1000, Path.of("/srv"), 0, allowed)).isPresent();
    }

    @Test
    void guestRootActsAsTheCallerOrTheOwnerOrNobodyNeverRoot() {
        assertThat(MountRules.identity(1000, 1000, 0, 0)).isEqualTo(new MountRules.Identity(1000, 1000));
        assertThat(MountRules.identity(0, 0, 1001, 1002)).isEqualTo(new MountRules.Identity(1001, 1002));
        assertThat(MountRules.identity(0, 0, 0, 0)).isEqualTo(new MountRules.Identity(65534, 65534));
        assertThatThrownBy(() -> MountRules.identity(1000, -1, 1000, 1000)).isInstanceOf(BangerException.class);
    }

    @Property
    void theIdentityIsNeverRoot(@ForAll @IntRange(min = 0, max = 70000) int caller, @ForAll @IntRange(min = 1, max = 70000) int callerGid,
                                @ForAll @IntRange(min = 0, max = 70000) int owner, @ForAll @IntRange(min = 0, max = 70000) int ownerGid) {
        MountRules.Identity id = MountRules.identity(caller, callerGid, owner, ownerGid);
        assertThat(id.uid()).isPositive();
        assertThat(id.gid()).isPositive();
    }

    @Property
    void aNonRootCallerIsAllowedOnlyTheirOwnOrAnAllowedDirectory(@ForAll @IntRange(min = 1, max = 70000) int caller,
                                                                 @ForAll @IntRange(min = 0, max = 70000) int owner) {
        boolean allowed = MountRules.refusal(caller, Path.of("/home/x/d"), owner, List.of(Path.of("/srv"))).isEmpty();
        assertThat(allowed).isEqualTo(caller == owner);
    }
}
