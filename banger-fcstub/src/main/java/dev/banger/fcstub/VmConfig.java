package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the API has configured so far. Each entry keeps the JSON it was given, which GET /vm/config
 * returns; the typed fields are what the checks and the guest need. Not thread-safe: the controller
 * serialises requests, as Firecracker's single API thread does.
 */
final class VmConfig {
    /** Firecracker's defaults before any PUT /machine-config. */
    static final Machine DEFAULT_MACHINE = new Machine(1, 128, false, false, "None", Optional.empty());

    record Machine(int vcpus, int memMib, boolean smt, boolean trackDirtyPages, String hugePages, Optional<String> cpuTemplate) {
        ObjectNode json(ObjectMapper json) {
            ObjectNode n = json.createObjectNode();
            n.put("vcpu_count", vcpus).put("mem_size_mib", memMib).put("smt", smt).put("track_dirty_pages", trackDirtyPages)
                    .put("huge_pages", hugePages);
            cpuTemplate.ifPresent(t -> n.put("cpu_template", t));
            return n;
        }
    }

    record Boot(Path kernel, Optional<Path> initrd, Optional<String> bootArgs, JsonNode json) {
    }

    record Drive(String id, Path path, boolean root, boolean readOnly, Optional<String> partuuid, JsonNode json) {
    }

    record Nic(String id, String hostDevName, Optional<String> guestMac, JsonNode json) {
    }

    record Vsock(long guestCid, Path udsPath, JsonNode json) {
    }

    Machine machine = DEFAULT_MACHINE;
    /** Whether machine-config was PUT or PATCHed: Firecracker then refuses a snapshot load, as after any other device. */
    boolean machineConfigured;
    /** Whether this configuration came from a snapshot's state (GET /vm/config then leaves out what Firecracker does). */
    boolean restored;
    Optional<Boot> boot = Optional.empty();
    final Map<String, Drive> drives = new LinkedHashMap<>();
    final Map<String, Nic> nics = new LinkedHashMap<>();
    Optional<Vsock> vsock = Optional.empty();
    Optional<JsonNode> logger = Optional.empty();
    Optional<JsonNode> metrics = Optional.empty();

    /** The drives as the guest sees them: the root drive first (vda), then the others in the order they were PUT. */
    List<Drive> drivesRootFirst() {
        List<Drive> out = new ArrayList<>();
        drives.values().stream().filter(Drive::root).forEach(out::add);
        drives.values().stream().filter(d -> !d.root()).forEach(out::add);
        return out;
    }

    Optional<Drive> rootDrive() {
        return drives.values().stream().filter(Drive::root).findFirst();
    }

    /** Whether anything but the logger and the metrics was configured: Firecracker loads a snapshot only before that. */
    boolean bootSpecific() {
        return machineConfigured || boot.isPresent() || !drives.isEmpty() || !nics.isEmpty() || vsock.isPresent();
    }

    /**
     * GET /vm/config: a FullVmConfiguration of what is configured. Restored from a snapshot, it leaves out the
     * boot source and machine-config's smt and cpu_template, as the contract says Firecracker does.
     */
    ObjectNode fullConfig(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        if (!restored) {
            boot.ifPresent(b -> n.set("boot-source", b.json()));
        }
        ArrayNode ds = n.putArray("drives");
        drives.values().forEach(d -> ds.add(d.json()));
        ObjectNode mc = machine.json(json);
        if (restored) {
            mc.remove("smt");
            mc.remove("cpu_template");
        }
        n.set("machine-config", mc);
        logger.ifPresent(l -> n.set("logger", l));
        metrics.ifPresent(m -> n.set("metrics", m));
        ArrayNode ns = n.putArray("network-interfaces");
        nics.values().forEach(i -> ns.add(i.json()));
        vsock.ifPresent(v -> n.set("vsock", v.json()));
        return n;
    }

    /** What a snapshot's state records of the machine: the whole configuration as it was configured (not as shown). */
    ObjectNode snapshotConfig(ObjectMapper json) {
        boolean was = restored;
        restored = false;
        try {
            return fullConfig(json);
        } finally {
            restored = was;
        }
    }

    /**
     * Takes the devices of a snapshot's state ({@link #snapshotConfig}), as a load does; the logger and the metrics
     * stay as configured. The stub wrote that JSON itself, so a shape it does not know is a state of something else.
     */
    void restoreFrom(JsonNode c) {
        JsonNode m = c.path("machine-config");
        machine = new Machine(m.path("vcpu_count").asInt(), m.path("mem_size_mib").asInt(), m.path("smt").asBoolean(false),
                m.path("track_dirty_pages").asBoolean(false), m.path("huge_pages").asText("None"),
                m.has("cpu_template") ? Optional.of(m.get("cpu_template").asText()) : Optional.empty());
        if (machine.vcpus() < 1 || machine.memMib() < 1) {
            throw new IllegalArgumentException("no machine-config");
        }
        JsonNode b = c.path("boot-source");
        if (!b.path("kernel_image_path").isTextual()) {
            throw new IllegalArgumentException("no boot-source");
        }
        boot = Optional.of(new Boot(Path.of(b.get("kernel_image_path").asText()),
                b.has("initrd_path") ? Optional.of(Path.of(b.get("initrd_path").asText())) : Optional.empty(),
                b.has("boot_args") ? Optional.of(b.get("boot_args").asText()) : Optional.empty(), b));
        drives.clear();
        for (JsonNode d : c.path("drives")) {
            String id = d.get("drive_id").asText();
            drives.put(id, new Drive(id, Path.of(d.get("path_on_host").asText()), d.path("is_root_device").asBoolean(),
                    d.path("is_read_only").asBoolean(false),
                    d.has("partuuid") ? Optional.of(d.get("partuuid").asText()) : Optional.empty(), d));
        }
        nics.clear();
        for (JsonNode i : c.path("network-interfaces")) {
            String id = i.get("iface_id").asText();
            nics.put(id, new Nic(id, i.get("host_dev_name").asText(),
                    i.has("guest_mac") ? Optional.of(i.get("guest_mac").asText()) : Optional.empty(), i));
        }
        JsonNode v = c.path("vsock");
        vsock = v.isObject() ? Optional.of(new Vsock(v.get("guest_cid").asLong(), Path.of(v.get("uds_path").asText()), v))
                : Optional.empty();
        restored = true;
    }
}
