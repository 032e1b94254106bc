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
        var virtiofsd = dev.banger.host.mount.Virtiofsd.find();
        out.add(new Params.Check("virtiofsd", virtiofsd.isPresent(), virtiofsd.map(b -> b.describe() + ": host directory mounts "
                + "(vm create --mount)" + (b.flavor() == dev.banger.core.mount.VirtiofsdCommand.Flavor.RUST ? "; this flavour is not "
                + "verified by banger's tests" : "")).orElse("missing: apt-get install qemu-system-common (Debian 12) or virtiofsd "
                + "(Debian 13+); QEMU VMs cannot mount host directories without it")));
        out.add(device("tap devices", "/dev/net/tun", "load the tun module (modprobe tun)"));
        boolean dm = dev.banger.host.disk.RawCow.deviceMapperUsable();
        out.add(new Params.Check("device-mapper", dm, dm ? "dm-snapshot copy-on-write roots for Firecracker VMs"
                : "no usable /dev/mapper/control or dmsetup (modprobe dm_snapshot; apt-get install dmsetup): Firecracker VMs "
                + "then get a full copy of the image as their root (reflinked where the filesystem can, else sparse)"));
        out.add(device("vhost-vsock", "/dev/vhost-vsock",
                "modprobe vhost_vsock; QEMU VMs then reach their guest agent over TCP instead of vsock"));
        BangerConfig.FirecrackerSettings fc = settings.firecracker();
        out.add(binary("firecracker", fc.binary(), List.of("--version"),
                "needed only for --vmm firecracker: install a release from github.com/firecracker-microvm/firecracker and set "
                + "[vmm] firecracker in config.toml to its path"));
        out.add(new Params.Check("firecracker can boot", accel.kvm(), accel.kvm()
                ? "KVM can run a guest here (" + accel.reason() + ")"
                : "no: Firecracker needs KVM that runs a standard guest kernel, and here " + accel.reason().replaceFirst("; using TCG$", "")
                + " (QEMU VMs still work under TCG)"));
        if (fc.jailed()) {
            out.add(binary("jailer", fc.jailerBinary(), List.of("--version"),
                    "[jailer] enabled = true needs Firecracker's jailer binary: set [jailer] binary to its path"));
        }
        for (String tool : List.of("debootstrap", "mkfs.ext4", "cpio", "lz4", "depmod", "mcopy", "ssh", "ssh-keygen", "setpriv", "ip", "nft")) {
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
        if (program.startsWith("/")) {
            return Files.isExecutable(Path.of(program)) ? Optional.of(Path.of(program)) : Optional.empty();
        }
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
