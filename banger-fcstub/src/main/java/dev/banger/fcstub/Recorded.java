package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One API request as the stub recorded it, valid or not.
 *
 * @param body   the parsed JSON body; a JSON string holding the raw text when it was not JSON; null when empty
 * @param status the HTTP status the stub answered
 */
public record Recorded(String method, String path, JsonNode body, int status) {
}
