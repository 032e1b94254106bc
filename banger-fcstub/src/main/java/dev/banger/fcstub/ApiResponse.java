package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The stub's answer: a status and, unless it is 204, a JSON body. */
record ApiResponse(int status, String jsonBody) {
    static final int NO_CONTENT = 204;
    static final int OK = 200;
    static final int BAD_REQUEST = 400;
    static final int INTERNAL_ERROR = 500;

    static ApiResponse noContent() {
        return new ApiResponse(NO_CONTENT, null);
    }

    static ApiResponse ok(JsonNode body) {
        return new ApiResponse(OK, body.toString());
    }

    /** Firecracker's Error schema: {@code {"fault_message": "..."}}. */
    static ApiResponse fault(ObjectMapper json, int status, String message) {
        return new ApiResponse(status, json.createObjectNode().put("fault_message", message).toString());
    }
}
