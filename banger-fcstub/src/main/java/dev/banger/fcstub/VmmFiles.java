package dev.banger.fcstub;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * The logger and metrics files Firecracker writes once configured: a human-readable line per API
 * request (as Firecracker logs them at Info) and a JSON line per metrics flush. Firecracker opens
 * both without creating them, which is why the API refuses paths that do not exist.
 */
final class VmmFiles {
    private final String instanceId;
    private final String version;
    private final ObjectMapper json;
    private volatile Optional<Path> log = Optional.empty();
    private volatile Optional<Path> metrics = Optional.empty();

    VmmFiles(String instanceId, String version, ObjectMapper json) {
        this.instanceId = instanceId;
        this.version = version;
        this.json = json;
    }

    void logTo(Path file) {
        log = Optional.of(file);
        log("Running Firecracker v" + version + " (banger strict stub)");
    }

    void metricsTo(Path file) {
        metrics = Optional.of(file);
    }

    void log(String message) {
        log.ifPresent(f -> append(f, Instant.now() + " [" + instanceId + ":fc_api] " + message + "\n"));
    }

    /** One metrics line; Firecracker's carry many counters, banger reads none of them. */
    void flushMetrics(int requests) {
        metrics.ifPresent(f -> append(f, json.createObjectNode()
                .put("utc_timestamp_ms", System.currentTimeMillis())
                .put("banger_stub_api_requests", requests) + "\n"));
    }

    private static void append(Path file, String text) {
        try {
            Files.write(file, text.getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("fcstub: cannot write " + file + ": " + e.getMessage());
        }
    }
}
