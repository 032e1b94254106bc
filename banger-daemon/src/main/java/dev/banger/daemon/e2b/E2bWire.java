package dev.banger.daemon.e2b;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.List;
import java.util.Map;

/**
 * E2B's JSON bodies as the SDK 2.51.0 sends and reads them (camelCase; the field names are E2B's, hence sandboxID).
 * Unknown request fields are ignored, since the SDK sends many (network, mcp, iam) banger does not act on; timestamps are
 * ISO-8601 strings.
 */
final class E2bWire {
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private E2bWire() {
    }

    /** POST /v2/sandboxes. */
    record NewSandbox(String templateID, Integer timeout, Map<String, String> metadata, Map<String, String> envVars,
                      Boolean autoPause) {
    }

    /** POST /sandboxes/{id}/timeout, POST /v2/sandboxes/{id}/connect, POST /sandboxes/{id}/fork. */
    record Timeout(Integer timeout, Integer count) {
    }

    /** The answer to create and connect (E2B's {@code Sandbox}). */
    record Sandbox(String sandboxID, String templateID, String alias, String clientID, String envdVersion, String envdAccessToken,
                   String domain) {
    }

    /** GET /sandboxes/{id} (E2B's {@code SandboxDetail}) and, without the token and domain, each of GET /v2/sandboxes. */
    record Detail(String sandboxID, String templateID, String alias, String clientID, String startedAt, String endAt,
                  String envdVersion, String envdAccessToken, String domain, int cpuCount, int memoryMB, long diskSizeMB,
                  Map<String, String> metadata, String state, List<Object> volumeMounts) {
    }

    /** One of GET /sandboxes/{id}/metrics. */
    record Metric(String timestamp, long timestampUnix, int cpuCount, double cpuUsedPct, long memUsed, long memTotal,
                  long memCache, long diskUsed, long diskTotal) {
    }

    /** One of POST /sandboxes/{id}/fork's answer: the child, or why it failed. */
    record ForkResult(Sandbox sandbox, Error error) {
    }

    record Error(int code, String message) {
    }
}
