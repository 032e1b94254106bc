package dev.banger.daemon.e2b;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.channel.Exec;
import dev.banger.core.e2b.EnvdRules;
import dev.banger.daemon.agent.GuestFiles;
import dev.banger.daemon.agent.GuestProcesses;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * envd's messages in the proto3 JSON mapping that the SDK's Connect client parses strictly: lowerCamelCase names, enums by
 * name, 64-bit integers as strings, bytes as base64, timestamps as RFC 3339, and no field the protos do not have (an
 * unknown field fails the SDK's parse). Requests are read leniently: enums by name or number, integers as numbers or
 * strings.
 */
final class EnvdJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private EnvdJson() {
    }

    static ObjectNode object() {
        return F.objectNode();
    }

    /** filesystem.EntryInfo. */
    static ObjectNode entry(GuestFiles.Entry e) {
        ObjectNode n = F.objectNode();
        n.put("name", e.name());
        n.put("type", switch (e.type()) {
            case FILE -> "FILE_TYPE_FILE";
            case DIR -> "FILE_TYPE_DIRECTORY";
            case SYMLINK -> "FILE_TYPE_SYMLINK";
            case OTHER -> "FILE_TYPE_UNSPECIFIED";
        });
        n.put("path", e.path());
        n.put("size", Long.toString(e.size()));
        n.put("mode", e.mode());
        n.put("permissions", e.permissions());
        n.put("owner", e.owner());
        n.put("group", e.group());
        n.put("modifiedTime", DateTimeFormatter.ISO_INSTANT.format(e.modified()));
        if (e.symlinkTarget() != null) {
            n.put("symlinkTarget", e.symlinkTarget());
        }
        return n;
    }

    /** The {@code entry} wrapper of Stat, MakeDir and Move. */
    static ObjectNode entryResponse(GuestFiles.Entry e) {
        ObjectNode n = F.objectNode();
        n.set("entry", entry(e));
        return n;
    }

    /** filesystem.EventType of an agent watch event; null for one envd has no name for (overflow). */
    static String eventType(String agentType) {
        return switch (agentType) {
            case "create" -> "EVENT_TYPE_CREATE";
            case "write" -> "EVENT_TYPE_WRITE";
            case "remove" -> "EVENT_TYPE_REMOVE";
            case "rename" -> "EVENT_TYPE_RENAME";
            case "chmod" -> "EVENT_TYPE_CHMOD";
            default -> null;
        };
    }

    /** process.ProcessEvent wrapped as a Start/ConnectResponse: {@code {"event": {KIND: VALUE}}}. */
    static ObjectNode processEvent(String kind, ObjectNode value) {
        ObjectNode event = F.objectNode();
        event.set(kind, value);
        ObjectNode n = F.objectNode();
        n.set("event", event);
        return n;
    }

    static ObjectNode started(long pid) {
        ObjectNode v = F.objectNode();
        v.put("pid", pid);
        return processEvent("start", v);
    }

    /** Output: {@code stdout}, {@code stderr} or {@code pty}, base64. */
    static ObjectNode output(String stream, byte[] data) {
        ObjectNode v = F.objectNode();
        v.put(stream, Base64.getEncoder().encodeToString(data));
        return processEvent("data", v);
    }

    /** The end of a process as envd's EndEvent has it ({@link EnvdRules#end}: a signal's end is exitCode -1, "signal: killed"). */
    static ObjectNode ended(Exec.Exit exit) {
        EnvdRules.End end = EnvdRules.end(exit.status(), exit.signal());
        ObjectNode v = F.objectNode();
        v.put("exitCode", end.exitCode());
        v.put("exited", end.exited());
        v.put("status", end.status());
        if (end.error() != null) {
            v.put("error", end.error());
        }
        return processEvent("end", v);
    }

    static ObjectNode processKeepalive() {
        return processEvent("keepalive", F.objectNode());
    }

    /** process.ProcessInfo of a running process. */
    static ObjectNode processInfo(GuestProcesses.Process p) {
        ObjectNode config = F.objectNode();
        config.put("cmd", p.argv().getFirst());
        var args = config.putArray("args");
        p.argv().subList(1, p.argv().size()).forEach(args::add);
        ObjectNode envs = config.putObject("envs");
        p.env().forEach(envs::put);
        if (p.cwd() != null) {
            config.put("cwd", p.cwd());
        }
        ObjectNode n = F.objectNode();
        n.set("config", config);
        n.put("pid", p.pid());
        if (p.tag() != null) {
            n.put("tag", p.tag());
        }
        return n;
    }

    // --- requests ---

    /** A required string field. */
    static String text(JsonNode message, String field) {
        JsonNode n = message.path(field);
        if (!n.isTextual()) {
            throw EnvdError.invalid(field + " (a string) is required");
        }
        return n.asText();
    }

    /** An optional string field; null when absent. */
    static String optionalText(JsonNode message, String field) {
        JsonNode n = message.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw EnvdError.invalid(field + " must be a string");
        }
        return n.asText();
    }

    /** An unsigned 32-bit field (a number, or a string of one, as proto3 JSON allows); {@code absent} when missing. */
    static long uint32(JsonNode message, String field, long absent) {
        JsonNode n = message.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return absent;
        }
        long v;
        if (n.canConvertToExactIntegral() && n.isNumber()) {
            v = n.asLong();
        } else if (n.isTextual() && n.asText().matches("[0-9]{1,10}")) {
            v = Long.parseLong(n.asText());
        } else {
            throw EnvdError.invalid(field + " must be an unsigned 32-bit integer");
        }
        if (v < 0 || v > 0xffffffffL) {
            throw EnvdError.invalid(field + " must be an unsigned 32-bit integer");
        }
        return v;
    }

    static boolean bool(JsonNode message, String field, boolean absent) {
        JsonNode n = message.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return absent;
        }
        if (!n.isBoolean()) {
            throw EnvdError.invalid(field + " must be true or false");
        }
        return n.asBoolean();
    }

    /** A {@code map<string, string>} field; empty when absent. */
    static Map<String, String> strings(JsonNode message, String field) {
        JsonNode n = message.path(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw EnvdError.invalid(field + " must be an object of strings");
        }
        for (var e : n.properties()) {
            if (!e.getValue().isTextual()) {
                throw EnvdError.invalid(field + "." + e.getKey() + " must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** process.ProcessSelector ({@code {"pid": N}} or {@code {"tag": T}}) in field {@code process}. */
    static GuestProcesses.Selector selector(JsonNode message) {
        JsonNode s = message.path("process");
        if (!s.isObject()) {
            throw EnvdError.invalid("process (a selector with pid or tag) is required");
        }
        if (s.has("pid")) {
            long pid = uint32(s, "pid", 0);
            if (pid < 1) {
                throw EnvdError.invalid("process.pid must be a process id");
            }
            return GuestProcesses.Selector.pid(pid);
        }
        if (s.has("tag")) {
            return GuestProcesses.Selector.tag(text(s, "tag"));
        }
        throw EnvdError.invalid("process must select by pid or tag");
    }

    /** process.Signal: by name or number; envd knows SIGTERM and SIGKILL. */
    static int signal(JsonNode message) {
        JsonNode n = message.path("signal");
        String name = n.isTextual() ? n.asText() : null;
        int number = n.isIntegralNumber() ? n.asInt() : -1;
        if ("SIGNAL_SIGKILL".equals(name) || number == 9) {
            return 9;
        }
        if ("SIGNAL_SIGTERM".equals(name) || number == 15) {
            return 15;
        }
        throw EnvdError.invalid("signal must be SIGNAL_SIGTERM or SIGNAL_SIGKILL");
    }

    /** base64 bytes of a {@code bytes} field. */
    static byte[] bytes(JsonNode n, String field) {
        if (!n.isTextual()) {
            throw EnvdError.invalid(field + " must be base64 bytes");
        }
        try {
            return Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            try {
                return Base64.getUrlDecoder().decode(n.asText());
            } catch (IllegalArgumentException again) {
                throw EnvdError.invalid(field + " is not base64");
            }
        }
    }
}
