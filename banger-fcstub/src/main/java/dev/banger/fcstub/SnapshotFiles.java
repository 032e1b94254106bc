package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The two files of a snapshot as the stub writes them. Real Firecracker splits a snapshot into the microVM state
 * ({@code snapshot_path}: devices, vCPUs, and the configuration it was built from, drive paths and taps included)
 * and the guest memory ({@code mem_file_path}: exactly the guest's memory size). QEMU's migration stream does not
 * separate memory from device state, so the stub writes:
 * <ul>
 *   <li>{@code snapshot_path}: one JSON line, the header {@code {"banger_fcstub_vmstate":1,"firecracker_version":V,
 *       "snapshot_id":ID,"config":CONFIG}} where CONFIG is the machine's configuration as GET /vm/config shows it
 *       (what a load rebuilds the machine from, as Firecracker's state does), then QEMU's migration stream of the
 *       stopped guest: CPU, devices and memory (none without a guest);</li>
 *   <li>{@code mem_file_path}: a sparse file of exactly the guest's memory size, as Firecracker's is, whose first
 *       line {@code {"banger_fcstub_memory":1,"snapshot_id":ID}} ties it to its state file. The memory itself is in
 *       the state file's stream.</li>
 * </ul>
 * A load checks both: the header, its version (Firecracker loads only states it can read), and that the memory
 * file is the one made with this state and as large as its guest's memory.
 */
final class SnapshotFiles {
    static final String LOAD_ERROR = "Load snapshot error: Failed to restore from snapshot: ";
    static final String CREATE_ERROR = "Create snapshot error: ";
    /** The header is the configuration of a handful of devices; anything near this is not the stub's. */
    static final int MAX_HEADER_BYTES = 256 * 1024;
    private static final String STATE_KEY = "banger_fcstub_vmstate";
    private static final String MEMORY_KEY = "banger_fcstub_memory";

    /** A state file's header, and where QEMU's stream starts in it. */
    record State(String snapshotId, String version, JsonNode config, long streamOffset) {
        long memoryBytes() {
            return config.path("machine-config").path("mem_size_mib").asLong() * 1024 * 1024;
        }
    }

    private SnapshotFiles() {
    }

    static String newId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    static byte[] header(ObjectMapper json, String snapshotId, String version, ObjectNode config) {
        ObjectNode h = json.createObjectNode().put(STATE_KEY, 1).put("firecracker_version", version).put("snapshot_id", snapshotId);
        h.set("config", config);
        return (h + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The state file's header; a file that is not one the stub wrote is Firecracker's "cannot read the state". */
    static State readState(ObjectMapper json, Path file) throws Fault {
        requireRegularFile(file, "snapshot_path");
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0 || line.size() >= MAX_HEADER_BYTES) {
                    throw new Fault(LOAD_ERROR + "Failed to get snapshot state from file: " + file
                            + " is not a microVM state (no banger stub header)");
                }
                line.write(b);
            }
        } catch (IOException e) {
            throw new Fault(LOAD_ERROR + "Failed to get snapshot state from file: cannot read " + file + ": " + e.getMessage());
        }
        JsonNode h;
        try {
            h = json.readTree(line.toByteArray());
        } catch (IOException e) {
            h = null;
        }
        if (h == null || h.path(STATE_KEY).asInt() != 1 || !h.path("snapshot_id").isTextual() || !h.path("config").isObject()) {
            throw new Fault(LOAD_ERROR + "Failed to get snapshot state from file: " + file + " is not a microVM state the stub wrote");
        }
        return new State(h.get("snapshot_id").asText(), h.path("firecracker_version").asText(), h.get("config"), line.size() + 1L);
    }

    /** The memory file: created (or truncated, as Firecracker does), its marker line, then holes up to {@code bytes}. */
    static void writeMemory(ObjectMapper json, Path file, String snapshotId, long bytes) throws IOException {
        byte[] marker = (json.createObjectNode().put(MEMORY_KEY, 1).put("snapshot_id", snapshotId) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(0);
            f.write(marker);
            f.setLength(Math.max(bytes, marker.length));
        }
    }

    /** The memory file must be {@code state}'s own and exactly its guest's memory in size. */
    static void checkMemory(ObjectMapper json, Path file, State state) throws Fault {
        requireRegularFile(file, "mem_backend.backend_path");
        String problem;
        try {
            long size = Files.size(file);
            String first;
            try (InputStream in = Files.newInputStream(file)) {
                byte[] head = in.readNBytes(512);
                int nl = indexOf(head, (byte) '\n');
                first = nl < 0 ? "" : new String(head, 0, nl, StandardCharsets.UTF_8);
            }
            JsonNode m = first.isEmpty() ? null : json.readTree(first);
            if (m == null || m.path(MEMORY_KEY).asInt() != 1) {
                problem = file + " is not a memory file the stub wrote";
            } else if (!m.path("snapshot_id").asText().equals(state.snapshotId())) {
                problem = file + " is the memory of another snapshot than the state's";
            } else if (size != state.memoryBytes()) {
                problem = "the memory file " + file + " is " + size + " bytes, the guest's memory " + state.memoryBytes();
            } else {
                return;
            }
        } catch (IOException e) {
            problem = "cannot read " + file + ": " + e.getMessage();
        }
        throw new Fault(LOAD_ERROR + "Failed to load guest memory: " + problem);
    }

    private static void requireRegularFile(Path file, String field) throws Fault {
        if (!Files.exists(file)) {
            throw new Fault(LOAD_ERROR + "Cannot open " + field + " " + file + ": No such file or directory (os error 2)");
        }
        if (!Files.isRegularFile(file)) {
            throw new Fault(LOAD_ERROR + field + " " + file + " is not a file");
        }
    }

    private static int indexOf(byte[] b, byte v) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
