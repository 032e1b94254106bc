package dev.banger.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.banger.api.BangerException;

/**
 * The optional configuration file ({@code config.toml}, see {@link StatePaths}). Every key is optional;
 * unknown keys are an error so a typo never silently falls back to a default. Example:
 * <pre>
 * [network]
 * bridge = "banger0"
 * subnet = "172.29.0.0/24"
 * nat = false
 *
 * [defaults]
 * image = "debian-bookworm"
 * vcpus = 1
 * memory = "512M"
 * work_disk = "4G"
 *
 * [daemon]
 * socket_group = "banger"
 * </pre>
 */
public record BangerConfig(Network network, Defaults defaults, Daemon daemon) {
    public record Network(String bridge, String subnet, Boolean nat) {
    }

    public record Defaults(String image, Integer vcpus, String memory, String workDisk) {
    }

    public record Daemon(String socketGroup) {
    }

    /** The effective, validated settings after defaults are applied. */
    public record Settings(String bridge, Ipv4Subnet subnet, boolean nat, String defaultImage, int defaultVcpus,
                           int defaultMemoryMib, long defaultWorkDiskMib, String socketGroup) {
    }

    public static final Settings DEFAULTS = new Settings("banger0", Ipv4Subnet.parse("172.29.0.0/24"), false,
            "debian-bookworm", 1, 512, 4096, "banger");

    private static final TomlMapper TOML = TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Parses and validates {@code text}; {@code source} names the file in error messages. */
    public static Settings parse(String text, String source) {
        BangerConfig raw;
        try {
            raw = TOML.readValue(text, BangerConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw BangerException.invalid(source + ": unknown setting '" + e.getPropertyName() + "'"
                    + (e.getKnownPropertyIds() == null ? "" : " (known here: " + e.getKnownPropertyIds() + ")"));
        } catch (JsonProcessingException e) {
            throw BangerException.invalid(source + ": " + e.getOriginalMessage());
        }
        return raw == null ? DEFAULTS : raw.settings(source);
    }

    private Settings settings(String source) {
        Settings d = DEFAULTS;
        String bridge = network != null && network.bridge() != null ? network.bridge() : d.bridge();
        if (bridge.isEmpty() || bridge.length() > 15 || !bridge.matches("[A-Za-z0-9_.-]+")) {
            throw BangerException.invalid(source + ": network.bridge '" + bridge
                    + "' is not a valid interface name (1-15 characters of letters, digits, '_', '.', '-')");
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
                    vcpus = VmSpecRules.checkVcpus(defaults.vcpus());
                }
                if (defaults.memory() != null) {
                    memory = (int) Math.min(Integer.MAX_VALUE, Sizes.parseMib("defaults.memory", defaults.memory()));
                }
                if (defaults.workDisk() != null) {
                    workDisk = VmSpecRules.checkWorkDisk(Sizes.parseMib("defaults.work_disk", defaults.workDisk()));
                }
            } catch (BangerException e) {
                throw BangerException.invalid(source + ": " + e.getMessage());
            }
        }
        String group = daemon != null && daemon.socketGroup() != null ? daemon.socketGroup() : d.socketGroup();
        return new Settings(bridge, subnet, nat, image, vcpus, memory, workDisk, group);
    }
}
