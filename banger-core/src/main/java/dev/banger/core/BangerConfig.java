package dev.banger.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.banger.api.BangerException;
import dev.banger.core.vm.Accelerator;
import dev.banger.core.vm.KernelArgs;
import dev.banger.core.vm.VmmKind;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The optional configuration file ({@code config.toml}, see {@link StatePaths}). Every key is optional;
 * unknown keys are an error so a typo never silently falls back to a default. Example:
 * <pre>
 * [network]
 * bridge = "banger0"
 * subnet = "172.29.0.0/24"
 * nat = false
 * auto_publish = false    # true: a TCP listener in a guest (port 1024 and up) appears on 127.0.0.1 at the same port
 *
 * [defaults]
 * image = "debian-bookworm"
 * vcpus = 2             # a guest boots while its agent starts: both CPU-bound, in parallel on 2
 * memory = "512M"
 * work_disk = "4G"
 *
 * [daemon]
 * socket_group = "banger"
 *
 * [vmm]
 * accel = "auto"          # "kvm" or "tcg" to force one; auto uses KVM only where it can run a guest
 * kernel_log = "quiet"    # "full" puts every kernel message in the console log (slower under TCG)
 * driver = "qemu"         # the VMM for VMs created without --vmm: "qemu" or "firecracker"
 * firecracker = "firecracker"   # the firecracker binary: a name looked up on PATH, or an absolute path
 *
 * [jailer]                # Firecracker only, off by default
 * enabled = false
 * binary = "jailer"
 * uid = 10000             # the unprivileged user and group Firecracker runs as (never 0)
 * gid = 10000
 * chroot_base = "/srv/jailer"   # must be on the same filesystem as banger's state (files are hard-linked in)
 *
 * [snapshots]
 * auto_template = true    # after an image's first cold start with the default spec, make its template in the background
 *
 * [mounts]
 * allowed = ["/srv/shared"]   # directories anyone in the socket's group may mount into a VM (besides their own)
 *
 * [e2b]                   # the E2B-compatible API (off unless listen is set)
 * listen = "127.0.0.1:3000"   # another address than loopback needs tls_cert and tls_key
 * domain = "e2b.local"    # every sandbox's domain: the SDK makes PORT-ID.DOMAIN host names of it
 * max_sandboxes = 20
 * max_sandboxes_per_key = 10
 * tls_cert = "/etc/banger/e2b.crt"   # PEM certificate chain
 * tls_key = "/etc/banger/e2b.key"    # PEM private key
 * </pre>
 */
public record BangerConfig(Network network, Defaults defaults, Daemon daemon, Vmm vmm, Jailer jailer, Snapshots snapshots,
                           Mounts mounts, dev.banger.core.e2b.E2bSettings.Raw e2b) {
    /** {@code [mounts]}: directories that may be mounted by any caller, not only by their owner. */
    public record Mounts(java.util.List<String> allowed) {
    }

    public record Snapshots(Boolean autoTemplate) {
    }

    public record Network(String bridge, String subnet, Boolean nat, Boolean autoPublish) {
    }

    public record Defaults(String image, Integer vcpus, String memory, String workDisk) {
    }

    public record Daemon(String socketGroup) {
    }

    public record Vmm(String accel, String kernelLog, String driver, String firecracker) {
    }

    public record Jailer(Boolean enabled, String binary, Integer uid, Integer gid, String chrootBase) {
    }

    /** Firecracker's settings: the binary, and the jailer when enabled (uid, gid and chroot base then apply). */
    public record FirecrackerSettings(String binary, boolean jailed, String jailerBinary, int uid, int gid,
                                      Path chrootBase) {
    }

    /** The effective, validated settings after defaults are applied. */
    public record Settings(String bridge, Ipv4Subnet subnet, boolean nat, String defaultImage, int defaultVcpus,
                           int defaultMemoryMib, long defaultWorkDiskMib, String socketGroup, Accelerator.Mode accel,
                           KernelArgs.Verbosity kernelLog, VmmKind defaultVmm, FirecrackerSettings firecracker, boolean autoTemplate,
                           boolean autoPublish, java.util.List<Path> mountsAllowed, dev.banger.core.e2b.E2bSettings e2b) {
        public Settings {
            mountsAllowed = mountsAllowed == null ? java.util.List.of() : java.util.List.copyOf(mountsAllowed);
            e2b = e2b == null ? dev.banger.core.e2b.E2bSettings.OFF : e2b;
        }

        /** Without {@code [e2b]} (the listener off). */
        public Settings(String bridge, Ipv4Subnet subnet, boolean nat, String defaultImage, int defaultVcpus,
                        int defaultMemoryMib, long defaultWorkDiskMib, String socketGroup, Accelerator.Mode accel,
                        KernelArgs.Verbosity kernelLog, VmmKind defaultVmm, FirecrackerSettings firecracker, boolean autoTemplate,
                        boolean autoPublish, java.util.List<Path> mountsAllowed) {
            this(bridge, subnet, nat, defaultImage, defaultVcpus, defaultMemoryMib, defaultWorkDiskMib, socketGroup, accel, kernelLog,
                    defaultVmm, firecracker, autoTemplate, autoPublish, mountsAllowed, dev.banger.core.e2b.E2bSettings.OFF);
        }

        /** Without automatic publishing and {@code [mounts] allowed}. */
        public Settings(String bridge, Ipv4Subnet subnet, boolean nat, String defaultImage, int defaultVcpus,
                        int defaultMemoryMib, long defaultWorkDiskMib, String socketGroup, Accelerator.Mode accel,
                        KernelArgs.Verbosity kernelLog, VmmKind defaultVmm, FirecrackerSettings firecracker, boolean autoTemplate) {
            this(bridge, subnet, nat, defaultImage, defaultVcpus, defaultMemoryMib, defaultWorkDiskMib, socketGroup, accel, kernelLog,
                    defaultVmm, firecracker, autoTemplate, false, java.util.List.of());
        }
    }

    /**
     * Kernel messages are quiet by default: under TCG every console byte is emulated port I/O, and the
     * full log costs 0.2-0.3 s of each boot. Warnings and errors still reach the console log.
     */
    /**
     * Two vCPUs unless configured: the guest's boot and its agent's JVM start are both CPU-bound and come at
     * the same time, and on one vCPU they queue. Under TCG here (Debian's cloud kernel, this image) the agent
     * answered about 1 s sooner with two, and a VM started (agent ready) in 5.2-5.7 s instead of 6.1-6.2 s.
     * An idle vCPU costs the host nothing; a host with a single CPU may prefer {@code vcpus = 1}.
     */
    public static final int DEFAULT_VCPUS = 2;

    public static final Settings DEFAULTS = new Settings("banger0", Ipv4Subnet.parse("172.29.0.0/24"), false,
            "debian-bookworm", DEFAULT_VCPUS, 512, 4096, "banger", Accelerator.Mode.AUTO, KernelArgs.Verbosity.QUIET, VmmKind.QEMU,
            new FirecrackerSettings("firecracker", false, "jailer", 10000, 10000, Path.of("/srv/jailer")), true, false, java.util.List.of());

    private static final TomlMapper TOML = TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT) // vcpus = 2.7 is an error, not 2
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS) // nat = "yes" too
            .build();

    /** Parses and validates {@code text}; {@code source} names the file in error messages. */
    public static Settings parse(String text, String source) {
        BangerConfig raw;
        try {
            raw = TOML.readValue(text, BangerConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw BangerException.invalid(source + ": unknown setting '" + e.getPropertyName() + "'"
                    + (e.getKnownPropertyIds() == null ? "" : " (known here: " + e.getKnownPropertyIds() + ")"));
        } catch (JsonMappingException e) {
            String key = e.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]" : r.getFieldName())
                    .map(k -> k.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT))
                    .reduce((a, b) -> a + "." + b).orElse("");
            throw BangerException.invalid(source + ": " + (key.isEmpty() ? "" : "setting '" + key + "': ")
                    + firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw BangerException.invalid(source + ": " + (where == null ? "" : "line " + where.getLineNr() + ", column "
                    + where.getColumnNr() + ": ") + firstLine(e.getOriginalMessage()));
        }
        return raw == null ? DEFAULTS : raw.settings(source);
    }

    /** Runs a check and prefixes its error with the key, unless the message already names it. */
    private static <T> T withKey(String key, Supplier<T> check) {
        try {
            return check.get();
        } catch (BangerException e) {
            throw e.getMessage().contains(key) ? e : BangerException.invalid(key + ": " + e.getMessage());
        }
    }

    private static String firstLine(String s) {
        return s == null ? "invalid TOML" : s.lines().findFirst().orElse(s);
    }

    private Settings settings(String source) {
        Settings d = DEFAULTS;
        String bridge = network != null && network.bridge() != null ? network.bridge() : d.bridge();
        if (!dev.banger.core.net.InterfaceNames.isValid(bridge)) { // the rule every ip command checks again
            throw BangerException.invalid(source + ": network.bridge '" + bridge
                    + "' is not a valid interface name (1-15 characters of letters, digits, '_', '.', '-', not starting with '-')");
        }
        Ipv4Subnet subnet = d.subnet();
        if (network != null && network.subnet() != null) {
            try {
                subnet = Ipv4Subnet.parse(network.subnet());
            } catch (BangerException e) {
                throw BangerException.invalid(source + ": network.subnet: " + e.getMessage());
            }
        }
        boolean nat = network != null && network.nat() != null ? network.nat() : d.nat();
        String image = d.defaultImage();
        int vcpus = d.defaultVcpus();
        int memory = d.defaultMemoryMib();
        long workDisk = d.defaultWorkDiskMib();
        if (defaults != null) {
            try {
                if (defaults.image() != null) {
                    image = ImageNames.validate(defaults.image());
                }
                if (defaults.vcpus() != null) {
                    vcpus = withKey("defaults.vcpus", () -> VmSpecRules.checkVcpus(defaults.vcpus()));
                }
                if (defaults.memory() != null) {
                    // The host's size is checked per VM; here only the floor, so a bad default fails at load.
                    memory = withKey("defaults.memory", () -> VmSpecRules.checkMemory(
                            Sizes.parseMib("defaults.memory", defaults.memory()), Long.MAX_VALUE));
                }
                if (defaults.workDisk() != null) {
                    workDisk = withKey("defaults.work_disk", () -> VmSpecRules.checkWorkDisk(
                            Sizes.parseMib("defaults.work_disk", defaults.workDisk())));
                }
            } catch (BangerException e) {
                throw BangerException.invalid(source + ": " + e.getMessage());
            }
        }
        String group = daemon != null && daemon.socketGroup() != null ? daemon.socketGroup() : d.socketGroup();
        Accelerator.Mode accel = d.accel();
        KernelArgs.Verbosity kernelLog = d.kernelLog();
        VmmKind driver = d.defaultVmm();
        String firecrackerBinary = d.firecracker().binary();
        if (vmm != null) {
            try {
                accel = vmm.accel() == null ? accel : Accelerator.Mode.parse(vmm.accel());
                kernelLog = vmm.kernelLog() == null ? kernelLog : KernelArgs.Verbosity.parse(vmm.kernelLog());
            } catch (BangerException e) {
                throw BangerException.invalid(source + ": vmm." + (e.getMessage().startsWith("accel") ? "" : "kernel_log: ") + e.getMessage());
            }
            driver = vmm.driver() == null ? driver : withKey(source + ": vmm.driver", () -> VmmKind.parse(vmm.driver()));
            firecrackerBinary = vmm.firecracker() == null ? firecrackerBinary
                    : withKey(source + ": vmm.firecracker", () -> program(vmm.firecracker()));
        }
        boolean autoTemplate = snapshots != null && snapshots.autoTemplate() != null ? snapshots.autoTemplate() : d.autoTemplate();
        return new Settings(bridge, subnet, nat, image, vcpus, memory, workDisk, group, accel, kernelLog, driver,
                firecrackerSettings(source, firecrackerBinary), autoTemplate,
                network != null && network.autoPublish() != null ? network.autoPublish() : d.autoPublish(), mountsAllowed(source),
                dev.banger.core.e2b.E2bSettings.from(e2b, source));
    }

    private FirecrackerSettings firecrackerSettings(String source, String binary) {
        FirecrackerSettings d = DEFAULTS.firecracker();
        if (jailer == null) {
            return new FirecrackerSettings(binary, d.jailed(), d.jailerBinary(), d.uid(), d.gid(), d.chrootBase());
        }
        boolean enabled = jailer.enabled() != null && jailer.enabled();
        String jailerBinary = jailer.binary() == null ? d.jailerBinary() : withKey(source + ": jailer.binary", () -> program(jailer.binary()));
        int uid = jailer.uid() == null ? d.uid() : withKey(source + ": jailer.uid", () -> jailId("uid", jailer.uid()));
        int gid = jailer.gid() == null ? d.gid() : withKey(source + ": jailer.gid", () -> jailId("gid", jailer.gid()));
        Path base = jailer.chrootBase() == null ? d.chrootBase()
                : withKey(source + ": jailer.chroot_base", () -> absoluteDir(jailer.chrootBase()));
        return new FirecrackerSettings(binary, enabled, jailerBinary, uid, gid, base);
    }

    /** A program: a bare name (looked up on PATH when used) or an absolute path; never options or odd characters. */
    static String program(String value) {
        if (!value.matches("(/[A-Za-z0-9._+-]+)+|[A-Za-z0-9._+-]+") || value.startsWith("-") || value.contains("/../")
                || value.endsWith("/..")) {
            throw BangerException.invalid("'" + Text.printable(value, 80) + "' is not a program: give a name found on PATH "
                    + "(like \"firecracker\") or an absolute path of letters, digits and . _ + -");
        }
        return value;
    }

    private static int jailId(String what, int id) {
        if (id <= 0 || id > 0x7fff_fffe) {
            throw BangerException.invalid(what + " " + id + " is not allowed: the jailer exists to run Firecracker as an "
                    + "unprivileged user; give a " + what + " from 1 to 2147483646 (not root's 0)");
        }
        return id;
    }

    private static Path absoluteDir(String value) {
        Path p = Path.of(value);
        if (!p.isAbsolute() || !p.normalize().equals(p) || value.contains(",") || value.chars().anyMatch(c -> c < 0x20)) {
            throw BangerException.invalid("'" + Text.printable(value, 80) + "' must be an absolute, normalised directory path");
        }
        return p;
    }

    /**
     * {@code [mounts] allowed}: absolute, normalised paths (the daemon compares a request's resolved path with them, so
     * a relative or a {@code ..} entry could never match what the admin meant). "/" is refused: it would allow /etc.
     */
    private java.util.List<Path> mountsAllowed(String source) {
        if (mounts == null || mounts.allowed() == null) {
            return java.util.List.of();
        }
        java.util.List<Path> out = new java.util.ArrayList<>();
        for (String entry : mounts.allowed()) {
            if (entry == null || !entry.startsWith("/") || entry.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw BangerException.invalid(source + ": mounts.allowed: " + Text.quote(String.valueOf(entry))
                        + " is not an absolute path");
            }
            Path p = Path.of(entry);
            if (!p.normalize().equals(p) || entry.contains("/./") || entry.contains("/../") || entry.endsWith("/..")) {
                throw BangerException.invalid(source + ": mounts.allowed: " + Text.quote(entry) + " must be normalised (no . or ..)");
            }
            if (p.getNameCount() == 0) {
                throw BangerException.invalid(source + ": mounts.allowed: \"/\" would allow every directory of the host, /etc and /root "
                        + "included: list the directories to share");
            }
            out.add(p);
        }
        return java.util.List.copyOf(out);
    }
}
