package dev.banger.nomad;

import dev.banger.core.vm.Accelerator;
import dev.banger.host.vm.KvmProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the fingerprint needs to know of the host, read from the host: whether KVM is usable (banger-host's KvmProbe), and
 * which VMM bangerd makes VMs with by default (its config's {@code [vmm] driver}; daemon.status does not say).
 */
final class HostProbe {
    private static final long MAX_CONFIG_BYTES = 1024 * 1024;

    private HostProbe() {
    }

    static Fingerprints.Host probe(Path bangerHome) {
        // banger-host's own probe (the one bangerd chooses its accelerator with): /dev/kvm there and openable, the modules
        boolean kvm = Accelerator.KVM.equals(KvmProbe.choose(Accelerator.Mode.AUTO).accel());
        return new Fingerprints.Host(defaultVmm(configOf(bangerHome)), kvm);
    }

    /** bangerd's config file: BANGER_HOME/config.toml for a home, else /etc/banger/config.toml. */
    static Path configOf(Path home) {
        if (home == null || home.equals(Path.of("/var/lib/banger"))) {
            return Path.of("/etc/banger/config.toml");
        }
        return home.resolve("config.toml");
    }

    /** The {@code driver} of the config's {@code [vmm]} table; "qemu" (bangerd's default) when absent or unreadable. */
    static String defaultVmm(Path config) {
        try {
            if (!Files.isRegularFile(config) || Files.size(config) > MAX_CONFIG_BYTES) {
                return "qemu";
            }
            return vmmOf(Files.readAllLines(config));
        } catch (IOException | RuntimeException e) {
            return "qemu";
        }
    }

    static String vmmOf(List<String> lines) {
        boolean inVmm = false;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                inVmm = line.equals("[vmm]");
            } else if (inVmm && line.matches("driver\\s*=\\s*\"(qemu|firecracker)\"\\s*(#.*)?")) {
                return line.contains("firecracker") ? "firecracker" : "qemu";
            }
        }
        return "qemu";
    }
}
