package dev.banger.nomad;

import dev.banger.api.Params;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse;
import hashicorp.nomad.plugins.drivers.proto.DriverOuterClass.FingerprintResponse.HealthState;
import hashicorp.nomad.plugins.shared.structs.AttributeOuterClass.Attribute;

/**
 * The driver's fingerprint, decided from what was found (no I/O here). Nomad places banger tasks only on nodes
 * whose fingerprint is HEALTHY and shows {@code driver.banger}; a job may constrain on the other attributes
 * ({@code ${attr.driver.banger.accel} = "kvm"}).
 *
 * <ul>
 *   <li>HEALTHY: bangerd answered daemon.status, and the host can run its VMM (Firecracker needs KVM; QEMU runs
 *   anywhere, under TCG without KVM, slowly).</li>
 *   <li>UNHEALTHY: bangerd is installed (its socket's directory exists) but does not answer, or the VMM cannot run.</li>
 *   <li>UNDETECTED: no sign of banger on this node.</li>
 * </ul>
 */
final class Fingerprints {
    private Fingerprints() {
    }

    /** What the host offers: the VMM bangerd defaults to ("qemu" or "firecracker") and whether /dev/kvm is usable. */
    record Host(String vmm, boolean kvm) {
        String accel() {
            return kvm ? "kvm" : "tcg";
        }
    }

    static FingerprintResponse healthy(Params.DaemonStatus status, Host host, String socket) {
        if (host.vmm().equals("firecracker") && !host.kvm()) {
            return FingerprintResponse.newBuilder()
                    .setHealth(HealthState.UNHEALTHY)
                    .setHealthDescription("bangerd runs Firecracker VMs, which need /dev/kvm, and this host has no "
                            + "usable /dev/kvm: enable KVM, or set [vmm] driver = \"qemu\" in bangerd's config")
                    .build();
        }
        return FingerprintResponse.newBuilder()
                .setHealth(HealthState.HEALTHY)
                .setHealthDescription("bangerd " + status.version() + " answers on " + socket + "; " + host.vmm()
                        + (host.kvm() ? " with KVM" : " under TCG (no KVM: VMs run slowly)"))
                .putAttributes("driver.banger", bool(true))
                .putAttributes("driver.banger.version", string(status.version()))
                .putAttributes("driver.banger.vmm", string(host.vmm()))
                .putAttributes("driver.banger.accel", string(host.accel()))
                .build();
    }

    /** bangerd did not answer: UNHEALTHY when it looks installed here, UNDETECTED otherwise. */
    static FingerprintResponse unreachable(boolean installed, String why) {
        return FingerprintResponse.newBuilder()
                .setHealth(installed ? HealthState.UNHEALTHY : HealthState.UNDETECTED)
                .setHealthDescription(why + (installed ? "" : " (banger does not seem installed on this node)"))
                .build();
    }

    private static Attribute bool(boolean b) {
        return Attribute.newBuilder().setBoolVal(b).build();
    }

    private static Attribute string(String s) {
        return Attribute.newBuilder().setStringVal(s == null ? "" : s).build();
    }
}
