package dev.banger.nomad;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.api.Params;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse.HealthState;
import java.util.List;
import org.junit.jupiter.api.Test;

class FingerprintsTest {
    static final Params.DaemonStatus STATUS = new Params.DaemonStatus("0.1.0", 42, 10, "/var/lib/banger",
            "/run/banger/bangerd.sock", "/var/lib/banger/state.db", 9, 0, 1, "debian-bookworm", "nothing to do");

    @Test
    void healthyWithAttributes() {
        FingerprintResponse f = Fingerprints.healthy(STATUS, new Fingerprints.Host("qemu", false), "/run/banger/bangerd.sock");
        assertThat(f.getHealth()).isEqualTo(HealthState.HEALTHY);
        assertThat(f.getHealthDescription()).contains("bangerd 0.1.0", "TCG");
        assertThat(f.getAttributesMap().get("driver.banger").getBoolVal()).isTrue();
        assertThat(f.getAttributesMap().get("driver.banger.vmm").getStringVal()).isEqualTo("qemu");
        assertThat(f.getAttributesMap().get("driver.banger.accel").getStringVal()).isEqualTo("tcg");
        assertThat(f.getAttributesMap().get("driver.banger.version").getStringVal()).isEqualTo("0.1.0");
    }

    @Test
    void firecrackerWithoutKvmIsUnhealthy() {
        FingerprintResponse f = Fingerprints.healthy(STATUS, new Fingerprints.Host("firecracker", false), "s");
        assertThat(f.getHealth()).isEqualTo(HealthState.UNHEALTHY);
        assertThat(f.getHealthDescription()).contains("/dev/kvm");
        assertThat(Fingerprints.healthy(STATUS, new Fingerprints.Host("firecracker", true), "s").getHealth())
                .isEqualTo(HealthState.HEALTHY);
    }

    @Test
    void unreachable() {
        assertThat(Fingerprints.unreachable(true, "down").getHealth()).isEqualTo(HealthState.UNHEALTHY);
        assertThat(Fingerprints.unreachable(false, "down").getHealth()).isEqualTo(HealthState.UNDETECTED);
    }

    @Test
    void theDefaultVmmFromBangerdsConfig() {
        assertThat(HostProbe.vmmOf(List.of("[vmm]", "driver = \"firecracker\"  # fast"))).isEqualTo("firecracker");
        assertThat(HostProbe.vmmOf(List.of("[other]", "driver = \"firecracker\""))).isEqualTo("qemu");
        assertThat(HostProbe.vmmOf(List.of())).isEqualTo("qemu");
    }
}
