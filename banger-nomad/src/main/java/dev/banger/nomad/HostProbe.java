package dev.banger.nomad;

import dev.banger.core.vm.Accelerator;
import dev.banger.host.HostInfo;
import dev.banger.host.vm.KvmProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the driver needs to know of the host, read from the host: whether KVM is usable (banger-host's KvmProbe), which
 * VMM bangerd makes VMs with by default (its config's {@code [vmm] driver}; daemon.status does not say), and the MHz of
 * one core, which a task's {@code resources { cpu }} is counted in.
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

    /**
     * The MHz of one core as Nomad's client counts them (it gives a node cores x this much CPU, and a task's
     * {@code resources { cpu }} is a share of it): banger-host's reading of cpufreq, else /proc/cpuinfo; 0 when neither
     * says, and a task's MHz then map to bangerd's default vCPUs. Read once, when the plugin starts.
     */
    static long cpuMhzPerCore() {
        return HostInfo.cpuMhzPerCore();
    }
}
