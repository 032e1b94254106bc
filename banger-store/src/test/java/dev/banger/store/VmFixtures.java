package dev.banger.store;

import dev.banger.api.VmRecord;
import dev.banger.api.VmRuntime;
import dev.banger.api.VmSpec;
import dev.banger.api.VmState;
import dev.banger.core.NewVm;
import dev.banger.core.StatePaths;
import java.nio.file.Path;
import java.time.Instant;

/** VM records for store tests, built the way the daemon builds them. */
final class VmFixtures {
    static final StatePaths PATHS = StatePaths.forHome(Path.of("/srv/banger-test"));
    static final Instant T0 = Instant.parse("2025-03-04T05:06:07.123456789Z");

    private VmFixtures() {
    }

    /** A VM whose id, address and CID all derive from {@code n}. */
    static VmRecord vm(int n, String name) {
        String id = String.format("%012x", 0xa00000000000L + n);
        VmSpec spec = new VmSpec(name, "debian-bookworm", 1 + n % 32, 256 + n, n % 2 == 0 ? 0 : 1024 + n, 4096 + n, "qemu");
        return NewVm.record(id, spec, PATHS, "172.29." + (n / 250) + "." + (2 + n % 250), 3 + n, T0.plusSeconds(n));
    }

    /** A record with every field set to something distinctive, non-null and non-default. */
    static VmRecord everyFieldSet() {
        VmSpec spec = new VmSpec("full-house", "ubuntu-24.04", 32, 65_536, 20_480, 16L * 1024 * 1024, "firecracker");
        VmRuntime runtime = new VmRuntime(VmState.ERROR, "172.29.0.254", "/a/api.sock", "/a/vsock.sock", 0xFFFF_FFFEL,
                "/a/console.log", "/a/metrics.json", "full-house.vm", "/a", "/a/root.qcow2", "/a/work.img",
                "boot failed: kernel panic \u2014 'quoted'; \"double\"\nsecond line", "0123456789ab");
        return new VmRecord("fedcba987654", spec, runtime, Instant.parse("2024-12-31T23:59:59.999999999Z"),
                Instant.parse("2025-01-01T00:00:00Z"));
    }
}
