package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Every request, valid or not, in memory ({@link #all()}) and as one JSON line
 * {@code {"method","path","body","status"}} appended to {@value #FILE_NAME} beside the API socket.
 * Each line is written with its own open-append-close, so a reader sees it at once, while the stub runs
 * and after it has gone.
 */
final class RequestLog {
    static final String FILE_NAME = "fcstub-requests.jsonl";

    private final Path file;
    private final ObjectMapper json;
    private final List<Recorded> recorded = new ArrayList<>();

    RequestLog(Path file, ObjectMapper json) {
        this.file = file;
        this.json = json;
    }

    static Path besides(Path apiSocket) {
        return apiSocket.toAbsolutePath().resolveSibling(FILE_NAME);
    }

    Path file() {
        return file;
    }

    synchronized void add(Recorded r) {
        recorded.add(r);
        ObjectNode line = json.createObjectNode();
        line.put("method", r.method());
        line.put("path", r.path());
        line.set("body", r.body());
        line.put("status", r.status());
        try {
            Files.write(file, (json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            System.err.println("fcstub: cannot append to " + file + ": " + e.getMessage());
        }
    }

    synchronized List<Recorded> all() {
        return List.copyOf(recorded);
    }

    /** The body as recorded: parsed JSON, the raw text as a JSON string when it is not JSON, null when empty. */
    JsonNode bodyOf(String body) {
        if (body.isEmpty()) {
            return null;
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return json.getNodeFactory().textNode(body);
        }
    }
}
