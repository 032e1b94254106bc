package dev.banger.nomad.cty;

import static dev.banger.nomad.cty.ConfigSpec.optional;

import java.util.List;
import java.util.Map;

/**
 * A task's {@code config} block for the banger driver, as a job file writes it:
 * <pre>
 * config {
 *   image   = "debian-12"
 *   cpus    = 2
 *   memory  = 1024
 *   command = ["sh", "-c", "echo hello"]
 *   publish = ["8080:80"]
 *   mount   = ["/srv/data:/data:ro"]
 * }
 * </pre>
 * Only command is required (the driver says so at StartTask). image is null when left out (bangerd's default image);
 * cpus and memory are null when left out (the driver then takes them from the task's
 * resources); the lists are empty when left out. The daemon checks the rest (the image exists, the memory fits the
 * host, the publish and mount syntax) and its message reaches the job's events.
 *
 * @param cpus vCPUs, or null
 * @param memoryMib MiB, or null
 */
public record TaskConfig(String image, Integer cpus, Integer memoryMib, List<String> command, List<String> publish,
                         List<String> mount) {

    /** The same bounds as the daemon's VmSpecRules (banger-nomad does not depend on banger-core for them). */
    public static final int MIN_VCPUS = 1;
    public static final int MAX_VCPUS = 32;
    public static final int MIN_MEMORY_MIB = 128;
    /** 1 TiB: no host this driver runs on has more; the daemon checks the host's real memory. */
    public static final int MAX_MEMORY_MIB = 1024 * 1024;
    private static final int MAX_TEXT = 4096;

    public static final ConfigSpec SPEC = ConfigSpec.of(
            optional("image", CtyType.STRING),
            optional("cpus", CtyType.NUMBER),
            optional("memory", CtyType.NUMBER),
            optional("command", CtyType.list(CtyType.STRING)),
            optional("publish", CtyType.list(CtyType.STRING)),
            optional("mount", CtyType.list(CtyType.STRING)));

    public TaskConfig {
        command = List.copyOf(command);
        publish = List.copyOf(publish);
        mount = List.copyOf(mount);
    }

    /** The task config from the msgpack bytes of Nomad's TaskConfig.msgpack_driver_config. */
    public static TaskConfig decode(byte[] msgpack) {
        return from(SPEC.decode(msgpack, "task config"));
    }

    /** The task config from its decoded attributes; ConfigException says what to fix in the job file. */
    public static TaskConfig from(Map<String, Object> attrs) {
        ConfigValues v = new ConfigValues(attrs, "config.");
        String image = v.string("image", 256);
        return new TaskConfig(image,
                v.wholeNumber("cpus", MIN_VCPUS, MAX_VCPUS, "vCPUs"),
                v.wholeNumber("memory", MIN_MEMORY_MIB, MAX_MEMORY_MIB, "MiB"),
                v.strings("command", MAX_TEXT, true), // an argument may be empty: sh -c ''
                v.strings("publish", MAX_TEXT, false),
                v.strings("mount", MAX_TEXT, false));
    }
}
