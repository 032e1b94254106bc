package dev.banger.host.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.vm.Accelerator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The probe on whatever host runs the tests: it must answer, consistently, without failing. */
class KvmProbeTest {
    @Test
    void factsAreConsistentWithTheHost() {
        Accelerator.KvmFacts f = KvmProbe.facts();
        assertThat(f.devKvmExists()).isEqualTo(Files.exists(Path.of("/dev/kvm")));
        if (!f.devKvmExists()) {
            assertThat(f.devKvmAccessible()).isFalse();
        }
        assertThat(f.loadedModules()).isSubsetOf(Accelerator.KVM_MODULES);
        Accelerator.Choice c = KvmProbe.choose(Accelerator.Mode.AUTO);
        assertThat(c.accel()).isIn("kvm", "tcg");
        assertThat(c.reason()).isNotBlank();
        System.out.println("KvmProbe: " + f + " -> " + c + "; host TSC " + KvmProbe.hostTscKhz());
    }

    @Test
    void tcgIsAlwaysAvailable() {
        assertThat(KvmProbe.choose(Accelerator.Mode.TCG).accel()).isEqualTo("tcg");
    }
}
