package dev.banger.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.vm.Accelerator;
import dev.banger.host.vm.KvmProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Firecracker driver against a real Firecracker: runs where a {@code firecracker} binary is on PATH
 * and KVM can run a standard guest kernel; skipped with the reason elsewhere (this project's machines
 * have neither: no binary is packaged, and their KVM is PVM-only).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RealFirecrackerIT {
    private static final Duration BOOT = Duration.ofMinutes(3);

    @Test
    void aVmRunsOnARealFirecrackerAndLeavesNothing() throws Exception {
        Optional<Path> firecracker = onPath("firecracker");
        Assumptions.assumeTrue(firecracker.isPresent(), "no firecracker binary on PATH: the real-Firecracker run is skipped "
                + "(FirecrackerIT covers the driver against the strict API stub)");
        Accelerator.Choice kvm = KvmProbe.choose(Accelerator.Mode.AUTO);
        Assumptions.assumeTrue(kvm.kvm(), "KVM cannot run a guest here (" + kvm.reason() + "): the real-Firecracker run is skipped");
        Path image = SharedImage.dir();
        try (NetnsHome ns = NetnsHome.create("[vmm]\nfirecracker = \"" + firecracker.get() + "\"\n")) {
            FirecrackerIT.importWithBothKernels(image, ns.home.path().resolve("images/debian-bookworm"));
            BangerHome.Result run = ns.ok(BOOT, "vm", "run", "--name", "realfc", "--vmm", "firecracker", "--", "cat", "/etc/hostname");
            assertThat(run.stdout().strip()).isEqualTo("realfc");
            ns.ok(BOOT, "vm", "stop", "realfc");
            ns.ok(BOOT, "vm", "delete", "realfc");
            assertThat(ns.home.path().resolve("vms")).isEmptyDirectory();
        }
    }

    private static Optional<Path> onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
