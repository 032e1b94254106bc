package dev.banger.host.vm;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.api.Json;
import dev.banger.core.Text;
import dev.banger.core.VmIds;
import dev.banger.core.net.InterfaceNames;
import dev.banger.host.guest.AgentTransport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What is true of a VM at the kernel and process level right now. Transient by nature: never stored in
 * SQLite, only in the VM directory's {@code handles.json} scratch file (so a restarted daemon can tear down
 * what a dead VMM left) and in the daemon's cache. Absent handles are null (pid 0).
 *
 * <p>Two halves: the common part every VM has (the VMM's pid, its tap, how its agent is reached), checked
 * here when read back; and {@code parts}, each owned by one driver or feature ({@link HandlesPart}: a
 * Firecracker root's loop and dm devices, later helper processes and forwarders), carried as JSON and
 * checked by its owner when it reads it. A file that names anything banger would not have written is
 * rejected rather than obeyed, since teardown acts on it.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record VmHandles(long vmmPid, String tap, AgentTransport agent, Map<String, JsonNode> parts) {
    /** The largest pid Linux hands out (PID_MAX_LIMIT on 64-bit). */
    private static final long PID_MAX = 4_194_304;
    /** Before parts existed, a Firecracker root's devices were fields of their own: read into the "root" part. */
    private static final List<String> LEGACY_ROOT_FIELDS = List.of("base_loop", "cow_loop", "dm_name", "dm_device");
    private static final String LEGACY_ROOT_PART = "root";

    public static final VmHandles NONE = new VmHandles(0, null, null, Map.of());

    public VmHandles {
        parts = parts == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(parts));
    }

    public boolean hasProcess() {
        return vmmPid > 0;
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isEmpty() {
        return equals(NONE);
    }

    public VmHandles withPid(long pid) {
        return new VmHandles(pid, tap, agent, parts);
    }

    public VmHandles withTap(String t) {
        return new VmHandles(vmmPid, t, agent, parts);
    }

    public VmHandles withAgent(AgentTransport transport) {
        return new VmHandles(vmmPid, tap, transport, parts);
    }

    /** These handles with {@code part} set to {@code value} (null removes it). */
    public <T> VmHandles with(HandlesPart<T> part, T value) {
        Map<String, JsonNode> next = new LinkedHashMap<>(parts);
        if (value == null) {
            next.remove(part.key());
        } else {
            next.put(part.key(), Json.MAPPER.valueToTree(value));
        }
        return new VmHandles(vmmPid, tap, agent, next);
    }

    /**
     * {@code part} as its owner wrote it for VM {@code vmId}, checked by its owner; empty when absent.
     *
     * @throws IllegalArgumentException when it is there but is not what banger would have written
     */
    public <T> Optional<T> part(HandlesPart<T> part, String vmId) {
        JsonNode node = parts.get(part.key());
        if (node == null) {
            return Optional.empty();
        }
        T value;
        try {
            value = Json.MAPPER.treeToValue(node, part.type());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("handles part '" + part.key() + "' is not one: " + e.getMessage());
        }
        part.check(value, vmId);
        return Optional.of(value);
    }

    public String toJson() {
        return Json.line(this) + "\n";
    }

    /**
     * Reads a scratch file's text for VM {@code vmId}, checking the common fields against what banger would
     * have written for that VM (the parts are their owners' to check, see {@link #part}).
     *
     * @throws IllegalArgumentException when the text is not such a file (the caller logs it and treats
     *     the VM as having no handles)
     */
    public static VmHandles parse(String json, String vmId) {
        if (!VmIds.looksLikeId(vmId)) {
            throw new IllegalArgumentException("not a VM id: " + vmId);
        }
        VmHandles h;
        try {
            JsonNode tree = Json.MAPPER.readTree(json);
            if (tree == null || !tree.isObject()) {
                throw new IllegalArgumentException("not a handles file: not a JSON object");
            }
            ObjectNode object = withLegacyRootAsPart((ObjectNode) tree);
            if (!object.has("vmm_pid")) {
                object.put("vmm_pid", 0); // none recorded yet: written before the VMM was launched
            }
            h = Json.MAPPER.treeToValue(object, VmHandles.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a handles file: " + e.getOriginalMessage());
        }
        if (h.vmmPid < 0 || h.vmmPid > PID_MAX) {
            throw new IllegalArgumentException("vmm_pid " + h.vmmPid + " is not a pid");
        }
        if (h.tap != null && !h.tap.equals(InterfaceNames.tapFor(vmId))) {
            throw new IllegalArgumentException("tap '" + Text.printable(h.tap, 20) + "' is not this VM's (" + InterfaceNames.tapFor(vmId) + ")");
        }
        for (Map.Entry<String, JsonNode> p : h.parts.entrySet()) {
            if (!p.getKey().matches("[a-z][a-z0-9_-]{0,31}") || !p.getValue().isObject()) {
                throw new IllegalArgumentException("handles part '" + Text.printable(p.getKey(), 40) + "' is not one banger writes");
            }
        }
        return h;
    }

    /** A file from before parts: its root device fields become the "root" part (checked by its owner like any). */
    private static ObjectNode withLegacyRootAsPart(ObjectNode tree) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        for (String field : LEGACY_ROOT_FIELDS) {
            JsonNode v = tree.remove(field);
            if (v != null) {
                root.set(field, v);
            }
        }
        if (!root.isEmpty()) {
            ObjectNode parts = tree.has("parts") && tree.get("parts").isObject() ? (ObjectNode) tree.get("parts") : tree.putObject("parts");
            parts.set(LEGACY_ROOT_PART, root);
        }
        return tree;
    }
}
