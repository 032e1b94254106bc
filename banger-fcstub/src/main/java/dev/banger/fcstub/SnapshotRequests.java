package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The checks Firecracker makes of a snapshot request's body beyond the contract (which has already checked its
 * shape), turned into what the stub acts on. Paths are taken as Firecracker takes them: relative ones against the
 * process's working directory.
 */
final class SnapshotRequests {
    /** PUT /snapshot/create. */
    record Create(Path vmstate, Path memory) {
    }

    /**
     * PUT /snapshot/load.
     *
     * @param taps  each overridden interface's new host device, by iface_id (network_overrides)
     * @param vsock the vsock device's new Unix socket (vsock_override)
     */
    record Load(Path vmstate, Path memory, boolean resume, Map<String, String> taps, Optional<Path> vsock) {
    }

    private SnapshotRequests() {
    }

    static Create create(JsonNode b, VmConfig.Machine machine) throws Fault {
        if (b.path("snapshot_type").asText("Full").equals("Diff")) {
            if (!machine.trackDirtyPages()) {
                throw new Fault("Operation not supported: Diff snapshots are not allowed on uVMs with dirty page tracking disabled.");
            }
            throw new Fault("The banger Firecracker stub does not emulate diff snapshots (banger takes full ones)");
        }
        Path vmstate = writable(b.get("snapshot_path").asText(), "snapshot file");
        Path memory = writable(b.get("mem_file_path").asText(), "memory file");
        if (vmstate.equals(memory)) {
            throw new Fault(SnapshotFiles.CREATE_ERROR + "snapshot_path and mem_file_path are the same file " + vmstate);
        }
        return new Create(vmstate, memory);
    }

    static Load load(JsonNode b) throws Fault {
        boolean file = b.has("mem_file_path");
        boolean backend = b.has("mem_backend");
        if (file == backend) {
            throw new Fault(file ? "too many fields: either `mem_backend` or `mem_file_path` exclusively is required."
                    : "missing field: either `mem_backend` or `mem_file_path` is required.");
        }
        Path memory;
        if (backend) {
            JsonNode m = b.get("mem_backend");
            if (!m.get("backend_type").asText().equals("File")) {
                throw new Fault("The banger Firecracker stub does not emulate the " + m.get("backend_type").asText()
                        + " memory backend (banger loads memory from a File)");
            }
            memory = absolute(m.get("backend_path").asText());
        } else {
            memory = absolute(b.get("mem_file_path").asText());
        }
        if (b.path("huge_pages").asText("").equals("2M")) {
            throw new Fault("Load snapshot error: explicit hugetlbfs (2M) pages require a UFFD memory backend");
        }
        Map<String, String> taps = new LinkedHashMap<>();
        for (JsonNode o : b.path("network_overrides")) {
            String id = o.get("iface_id").asText();
            if (taps.put(id, o.get("host_dev_name").asText()) != null) {
                throw new Fault("Invalid network override: interface " + id + " is overridden twice");
            }
        }
        Optional<Path> vsock = b.has("vsock_override") ? Optional.of(absolute(b.get("vsock_override").get("uds_path").asText()))
                : Optional.empty();
        return new Load(absolute(b.get("snapshot_path").asText()), memory, b.path("resume_vm").asBoolean(false), taps, vsock);
    }

    /** A file Firecracker creates or truncates: its directory must exist, and it must not be a directory itself. */
    private static Path writable(String path, String what) throws Fault {
        Path p = absolute(path);
        Path parent = p.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new Fault(SnapshotFiles.CREATE_ERROR + "Cannot open the " + what + " " + path + ": No such file or directory (os error 2)");
        }
        if (Files.isDirectory(p)) {
            throw new Fault(SnapshotFiles.CREATE_ERROR + "Cannot open the " + what + " " + path + ": Is a directory (os error 21)");
        }
        return p;
    }

    private static Path absolute(String path) throws Fault {
        if (path.isEmpty()) {
            throw new Fault("An empty path is not a file");
        }
        return Path.of(path).toAbsolutePath().normalize();
    }
}
