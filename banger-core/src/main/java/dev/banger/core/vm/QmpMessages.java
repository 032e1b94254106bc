package dev.banger.core.vm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The QEMU Machine Protocol as banger speaks it: the commands it sends and the parsing of what QEMU
 * sends back. QMP is one JSON object per line: a greeting on connect, then for each command a
 * {@code return} or an {@code error} carrying the command's {@code id}, interleaved with asynchronous
 * {@code event}s. Parsing is defensive: a line is bounded ({@link #MAX_LINE_BYTES}), unknown fields are
 * ignored (newer QEMUs add them), and anything unexpected becomes {@link Unknown} rather than an exception,
 * so one odd line never breaks a connection. Only a line that is not JSON at all is an error.
 */
public final class QmpMessages {
    /** Replies to banger's commands are tiny; 1 MiB leaves room for anything QEMU would send. */
    public static final int MAX_LINE_BYTES = 1 << 20;
    private static final int MAX_TEXT = 500;

    public static final String QMP_CAPABILITIES = "qmp_capabilities";
    public static final String QUERY_STATUS = "query-status";
    public static final String SYSTEM_POWERDOWN = "system_powerdown";
    public static final String QUIT = "quit";
    public static final String STOP = "stop";
    public static final String CONT = "cont";
    public static final String MIGRATE = "migrate";
    public static final String QUERY_MIGRATE = "query-migrate";

    /** Events banger reacts to (QEMU sends others too: they are collected and ignored). */
    public static final String EVENT_SHUTDOWN = "SHUTDOWN";
    public static final String EVENT_POWERDOWN = "POWERDOWN";
    public static final String EVENT_STOP = "STOP";
    public static final String EVENT_RESUME = "RESUME";
    public static final String EVENT_RESET = "RESET";

    /** Tree model only (no binding), so unknown fields cannot fail; nesting and numbers bounded. */
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64).maxStringLength(MAX_LINE_BYTES).maxNumberLength(100).build())
            .build())
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS) // one object per line
            .build();

    /** One line from QEMU, parsed. */
    public sealed interface Message permits Greeting, Return, Error, Event, Unknown {
    }

    /** {@code {"QMP": {"version": {...}, "capabilities": [...]}}}, the first line of every connection. */
    public record Greeting(String version) implements Message {
    }

    /** {@code {"return": ..., "id": N}}: the command with that id succeeded. */
    public record Return(OptionalLong id, JsonNode value) implements Message {
    }

    /** {@code {"error": {"class": ..., "desc": ...}, "id": N}}: the command with that id failed. */
    public record Error(OptionalLong id, String errorClass, String description) implements Message {
    }

    /** {@code {"event": NAME, "data": {...}, "timestamp": {...}}}: something happened, unasked. */
    public record Event(String name, JsonNode data) implements Message {
        /** For SHUTDOWN: {@code data.reason} ("guest-shutdown", "host-qmp-quit", "guest-panic", ...), else empty. */
        public Optional<String> shutdownReason() {
            JsonNode r = data.get("reason");
            return r != null && r.isTextual() ? Optional.of(text(r.asText())) : Optional.empty();
        }

        /** For SHUTDOWN: whether the guest asked for it (ACPI power-off, reboot, panic) rather than the host. */
        public boolean byGuest() {
            JsonNode g = data.get("guest");
            return g != null && g.isBoolean() && g.asBoolean();
        }
    }

    /** Valid JSON of a shape banger does not know. */
    public record Unknown(String excerpt) implements Message {
    }

    /** The answer to {@code query-status}: "running", "paused", "shutdown", "inmigrate", ... */
    public record Status(String status, boolean running) {
    }

    private QmpMessages() {
    }

    /** {@code {"execute":"NAME","id":ID}} followed by a newline, ready to write. */
    public static byte[] command(String execute, long id) {
        return command(execute, Map.of(), id);
    }

    /** {@code {"execute":"NAME","arguments":{...},"id":ID}} (string arguments) followed by a newline. */
    public static byte[] command(String execute, Map<String, String> arguments, long id) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("execute", execute);
        if (!arguments.isEmpty()) {
            ObjectNode args = o.putObject("arguments");
            arguments.forEach(args::put);
        }
        o.put("id", id);
        return (o.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A migration's progress from {@code query-migrate}: "none" before any, then "setup", "active",
     * "completed", "failed" or "cancelled"; {@code error} is QEMU's reason when it failed.
     */
    public record Migration(String status, String error) {
        public boolean done() {
            return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
        }
    }

    public static Migration migration(JsonNode returnValue) {
        String status = returnValue.path("status").isTextual() ? text(returnValue.path("status").asText()) : "none";
        String error = returnValue.path("error-desc").isTextual() ? text(returnValue.path("error-desc").asText()) : "";
        return new Migration(status, error);
    }

    /** Parses one line (without its newline). Throws only when it is not a JSON object or is too long. */
    public static Message parse(byte[] line) {
        if (line.length > MAX_LINE_BYTES) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "QEMU sent a QMP line of " + line.length
                    + " bytes, over the " + MAX_LINE_BYTES + "-byte limit");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "QEMU sent a QMP line that is not JSON: "
                    + text(new String(line, StandardCharsets.UTF_8)));
        }
        if (node == null || !node.isObject()) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "QEMU sent a QMP line that is not a JSON object: "
                    + text(new String(line, StandardCharsets.UTF_8)));
        }
        return classify(node);
    }

    public static Message parse(String line) {
        return parse(line.getBytes(StandardCharsets.UTF_8));
    }

    private static Message classify(JsonNode node) {
        OptionalLong id = node.path("id").canConvertToExactIntegral() && node.path("id").canConvertToLong()
                ? OptionalLong.of(node.path("id").asLong()) : OptionalLong.empty();
        if (node.has("QMP")) {
            JsonNode v = node.path("QMP").path("version").path("qemu");
            String version = v.isObject() ? v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt()
                    : "unknown";
            return new Greeting(version);
        }
        if (node.has("return")) {
            return new Return(id, node.get("return"));
        }
        if (node.has("error")) {
            JsonNode e = node.get("error");
            return new Error(id, text(e.path("class").asText("GenericError")), text(e.path("desc").asText("(no description)")));
        }
        if (node.has("event") && node.get("event").isTextual()) {
            JsonNode data = node.get("data");
            return new Event(text(node.get("event").asText()), data != null && data.isObject() ? data : MAPPER.createObjectNode());
        }
        return new Unknown(text(node.toString()));
    }

    /** Reads a query-status return value; fields it lacks read as "unknown"/not running. */
    public static Status status(JsonNode returnValue) {
        String s = returnValue.path("status").isTextual() ? text(returnValue.path("status").asText()) : "unknown";
        return new Status(s, returnValue.path("running").asBoolean(false));
    }

    /** QMP's text, safe for a log line or an error message: control characters replaced, length capped. */
    static String text(String s) {
        String cut = s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) + "..." : s;
        StringBuilder sb = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> sb.append(c < 0x20 || c == 0x7f ? "?" : Character.toString(c)));
        return sb.toString();
    }

    /** For a caller that wants the JSON of a value (e.g. to log a return it did not expect). */
    public static String json(JsonNode node) {
        try {
            return text(MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            return "(unprintable)";
        }
    }
}
