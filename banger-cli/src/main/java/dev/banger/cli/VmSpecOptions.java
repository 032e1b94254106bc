package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.core.Sizes;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * What a new VM is made of, as options: declared once for 'vm create' and 'vm run', read into the
 * vm.create request. Absent options are left to the daemon's defaults.
 */
final class VmSpecOptions {
    private VmSpecOptions() {
    }

    static void declare(CommandSpec spec) {
        spec.addOption(Verb.option("NAME", String.class, "DNS label: 1-63 of a-z, 0-9, '-' (default: generated)", "--name"));
        spec.addOption(Verb.option("IMAGE", String.class, "base image (default from config: debian-bookworm)", "--image"));
        spec.addOption(Verb.option("N", Integer.class, "vCPUs, 1-32 (default 1)", "--cpus", "--vcpus"));
        spec.addOption(Verb.option("SIZE", String.class, "memory, e.g. 512M or 2G (default 512M)", "--memory"));
        spec.addOption(Verb.option("SIZE", String.class, "work disk mounted at /work (default 4G)", "--work-disk"));
        spec.addOption(Verb.option("SIZE", String.class, "grow the root disk to SIZE (default: the image's size)", "--root-disk"));
        spec.addOption(Verb.option("VMM", String.class, "qemu or firecracker (default from config: qemu)", "--vmm"));
        spec.addOption(Verb.option("SNAP", String.class, "resume snapshot SNAP instead of booting (its spec is the VM's)", "--from"));
        spec.addOption(Verb.flag("boot, even when a template of the image would resume the VM instantly", "--cold"));
        spec.addOption(Verb.repeatable("[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]",
                "publish a guest port on the host (HOST_IP defaults to 127.0.0.1; repeatable)", "--publish", "-p"));
        spec.addOption(Verb.repeatable("HOST_DIR:GUEST_DIR[:ro|:rw]",
                "share a host directory you own into the VM (virtiofs; default rw; repeatable)", "--mount"));
    }

    static Params.VmCreate read(ParseResult args) {
        Long memory = mib(args, "--memory");
        return new Params.VmCreate(args.matchedOptionValue("--name", null), args.matchedOptionValue("--image", null),
                args.matchedOptionValue("--cpus", null),
                memory == null ? null : Math.toIntExact(Math.min(Integer.MAX_VALUE, memory)),
                mib(args, "--root-disk"), mib(args, "--work-disk"), args.matchedOptionValue("--vmm", null),
                args.matchedOptionValue("--from", null), args.hasMatchedOption("--cold") ? Boolean.TRUE : null,
                java.util.List.of(args.matchedOptionValue("--publish", new String[0])),
                java.util.List.of(args.matchedOptionValue("--mount", new String[0])).stream().map(VmSpecOptions::absolute).toList());
    }

    /**
     * A mount's host directory made absolute against the CLI's working directory (the daemon has its own), with a
     * leading ~ as the user's home: what the user meant on their side. The daemon still resolves and checks it.
     */
    static String absolute(String mount) {
        int colon = mount.indexOf(':');
        if (colon <= 0) {
            return mount;
        }
        String host = mount.substring(0, colon);
        if (host.equals("~") || host.startsWith("~/")) {
            host = System.getProperty("user.home") + host.substring(1);
        }
        java.nio.file.Path p = java.nio.file.Path.of(host);
        return p.toAbsolutePath() + mount.substring(colon);
    }

    /** A size option in MiB, or null when absent. */
    static Long mib(ParseResult args, String option) {
        String size = args.matchedOptionValue(option, null);
        return size == null ? null : Sizes.parseMib(option, size);
    }
}
