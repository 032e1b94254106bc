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

    /** GET /vm/config: a FullVmConfiguration of what is configured. */
    ObjectNode fullConfig(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        boot.ifPresent(b -> n.set("boot-source", b.json()));
        ArrayNode ds = n.putArray("drives");
        drives.values().forEach(d -> ds.add(d.json()));
        n.set("machine-config", machine.json(json));
        logger.ifPresent(l -> n.set("logger", l));
        metrics.ifPresent(m -> n.set("metrics", m));
        ArrayNode ns = n.putArray("network-interfaces");
        nics.values().forEach(i -> ns.add(i.json()));
        vsock.ifPresent(v -> n.set("vsock", v.json()));
        return n;
    }
}
