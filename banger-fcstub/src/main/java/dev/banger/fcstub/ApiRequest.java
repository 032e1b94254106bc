package dev.banger.fcstub;

import java.util.List;
import java.util.Map;

/**
 * One HTTP request as the API server received it.
 *
 * @param path        the decoded path, without the query
 * @param query       query parameters (Firecracker's API has none; the contract rejects them)
 * @param contentType the Content-Type header, or null when the client sent none
 * @param body        the body text, empty when there is none
 */
record ApiRequest(String method, String path, Map<String, List<String>> query, String contentType, String body) {
    ApiRequest {
        query = Map.copyOf(query);
        body = body == null ? "" : body;
    }

    /** A request without query or Content-Type (tests and internal callers). */
    static ApiRequest of(String method, String path, String jsonBody) {
        return new ApiRequest(method, path, Map.of(), jsonBody == null ? null : "application/json", jsonBody);
    }

    /** The path as recorded: with the query, if one was sent. */
    String recordedPath() {
        if (query.isEmpty()) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path).append('?');
        query.forEach((k, vs) -> vs.forEach(v -> sb.append(k).append('=').append(v).append('&')));
        return sb.substring(0, sb.length() - 1);
    }
}
