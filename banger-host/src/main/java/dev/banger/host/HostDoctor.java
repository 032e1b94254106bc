package dev.banger.host;

import dev.banger.api.Params;
import dev.banger.core.BangerConfig;
import dev.banger.core.net.ResolvedIntegration;
import dev.banger.core.vm.Accelerator;
import dev.banger.host.net.ResolvedSetup;
import dev.banger.host.vm.KvmProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What this host can do for banger, each finding with its fix: `banger doctor`. Reads only; changes
 * nothing (no test bridge, no test VM).
 */
public final class HostDoctor {
    private HostDoctor() {
    }

    public static List<Params.Check> checks(BangerConfig.Settings settings) {
        List<Params.Check> out = new ArrayList<>();
        out.add(new Params.Check("root", HostInfo.isRoot(), HostInfo.isRoot() ? "running as root"
                : "not root: bangerd needs root (taps, bridges, VMs); run banger with sudo or join the 'banger' group"));
        Accelerator.Choice accel = KvmProbe.choose(Accelerator.Mode.AUTO);
        out.add(new Params.Check("accelerator", accel.kvm(), accel.accel() + ": " + accel.reason()
                + (accel.kvm() ? "" : " (VMs work under TCG, several times slower; a host with usable KVM boots them in about a second)")));
        out.add(binary("qemu", "qemu-system-x86_64", List.of("--version"), "apt-get install qemu-system-x86"));
        out.add(binary("qemu-img", "qemu-img", List.of("--version"), "apt-get install qemu-utils"));
        out.add(device("tap devices", "/dev/net/tun", "load the tun module (modprobe tun)"));
        out.add(device("device-mapper", "/dev/mapper/control",
                "modprobe dm-snapshot; needed only by the Firecracker driver's copy-on-write, which this version does not have yet"));
        out.add(device("vhost-vsock", "/dev/vhost-vsock",
                "modprobe vhost_vsock; needed only for the guest agent over vsock, which this version does not have yet"));
        out.add(binary("firecracker", "firecracker", List.of("--version"),
                "this version runs VMs with QEMU only; the Firecracker driver is not built yet"));
        for (String tool : List.of("debootstrap", "mkfs.ext4", "cpio", "lz4", "depmod", "mcopy", "ssh", "ssh-keygen", "setpriv", "ip")) {
            Optional<Path> p = onPath(tool);
            out.add(new Params.Check("tool " + tool, p.isPresent(), p.map(Path::toString).orElse("missing: run ./setup.sh")));
        }
        ResolvedIntegration.Facts resolved = ResolvedSetup.direct().facts();
        ResolvedIntegration.Decision d = ResolvedIntegration.decide(resolved, settings.bridge(), settings.subnet());
        out.add(new Params.Check("host resolves <name>.vm", d instanceof ResolvedIntegration.Configure,
                d instanceof ResolvedIntegration.Advise(String text) ? text
                        : "systemd-resolved routes ~vm to " + dev.banger.core.Ipv4Subnet.format(settings.subnet().gateway())
                        + " on " + settings.bridge() + " once the bridge is up"));
        return out;
    }

    private static Params.Check binary(String name, String program, List<String> versionArgs, String fix) {
        Optional<Path> path = onPath(program);
        if (path.isEmpty()) {
            return new Params.Check(name, false, "missing: " + fix);
        }
        List<String> argv = new ArrayList<>(List.of(path.get().toString()));
        argv.addAll(versionArgs);
        HostCommand.Output out = HostCommand.run(argv, Duration.ofSeconds(10));
        String version = out.text().lines().findFirst().orElse("").strip();
        return new Params.Check(name, out.ok(), path.get() + (version.isEmpty() ? "" : ": " + version));
    }

    private static Params.Check device(String name, String path, String fix) {
        boolean present = Files.exists(Path.of(path));
        return new Params.Check(name, present, present ? path + " present" : path + " missing: " + fix);
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
