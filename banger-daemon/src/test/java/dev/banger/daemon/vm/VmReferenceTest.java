package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Params;
import dev.banger.api.VmRecord;
import dev.banger.api.VmSpec;
import dev.banger.core.BangerConfig;
import dev.banger.core.NewVm;
import dev.banger.core.StatePaths;
import dev.banger.store.Database;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a reference names a VM: never ambiguous between one VM's id and another's name. Real SQLite; no VM runs. */
class VmReferenceTest {
    @TempDir
    Path home;
    private Database db;
    private VmService vms;
    private StatePaths paths;

    @BeforeEach
    void parts() {
        paths = StatePaths.forHome(home);
        db = Database.open(paths.database());
        Clock clock = Clock.systemUTC();
        VmTransitions transitions = new VmTransitions(db.vms(), clock, new VmDescriptors(db.homeId(), paths.vmsDir()));
        // get() and create()'s name check touch only the store: no VMM, network or image is needed.
        vms = new VmService(db.vms(), paths, BangerConfig.DEFAULTS, 1 << 20, clock, new SecureRandom(), new VmLocks(), null,
                null, transitions);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private VmRecord insert(String id, String name, int n) {
        VmRecord vm = NewVm.record(id, new VmSpec(name, "debian-bookworm", 1, 512, 0, 4096, "qemu"), paths, "172.29.0." + (n + 2),
                n + 3, Instant.now());
        db.vms().insert(vm);
        return vm;
    }

    @Test
    void aNewVmMayNotBeNamedLikeAnId() {
        VmRecord first = insert("00000000a001", "first", 0);
        assertThatThrownBy(() -> vms.create(new Params.VmCreate(first.id(), null, null, null, null, null, null)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("shape of a VM id");
        assertThat(db.vms().count()).as("nothing claimed").isEqualTo(1);
    }

    @Test
    void aReferenceThatIsOneVmsIdAndAnothersNameIsRefusedNeverGuessed() {
        VmRecord target = insert("00000000b001", "target", 0);
        // A VM made before names shaped like ids were refused, named after the other's id.
        VmRecord impostor = insert("00000000b002", target.id(), 1);

        assertThatThrownBy(() -> vms.get(target.id())).isInstanceOfSatisfying(BangerException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("ambiguous").hasMessageContaining(impostor.id());
        assertThatThrownBy(() -> vms.delete(target.id(), true)).hasMessageContaining("ambiguous");
        assertThat(db.vms().count()).as("nothing deleted on a guess").isEqualTo(2);
        assertThat(vms.get(impostor.id()).name()).as("each still reachable by its own id").isEqualTo(target.id());
        assertThat(vms.get("target").id()).isEqualTo(target.id());
    }

    @Test
    void unknownReferencesSayHowToFindTheVms() {
        assertThatThrownBy(() -> vms.get("nope")).isInstanceOfSatisfying(BangerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND)).hasMessageContaining("banger vm list");
        assertThatThrownBy(() -> vms.get(" ")).hasMessageContaining("give its name or id");
    }
}
