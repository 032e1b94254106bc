package dev.banger.daemon.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.channel.Lines;
import dev.banger.channel.Stream;
import dev.banger.core.Text;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reading what a guest agent answers, which is untrusted: each field checked for its type and bounds, any
 * departure refused as not the agent's answer (AGENT_UNAVAILABLE), never passed on. Also the one JSON answer
 * line that starts a stream carrying more after it (a watch, an attached process).
 */
final class GuestAnswers {
    /** The longest answer line ahead of a stream's records or events (a process's row with its env fits). */
    static final int MAX_LINE = 256 * 1024;

    private GuestAnswers() {
    }

    static String text(JsonNode n, int max, String vm, String field) {
        if (!n.isTextual() || n.asText().length() > max) {
            throw notItsAnswer(vm, field + " as a string of at most " + max + " characters");
        }
        return n.asText();
    }

    /** A text field that may be absent or null. */
    static String optionalText(JsonNode n, int max, String vm, String field) {
        return n.isMissingNode() || n.isNull() ? null : text(n, max, vm, field);
    }

    static long number(JsonNode n, long min, long max, String vm, String field) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw notItsAnswer(vm, field + " from " + min + " to " + max);
        }
        return n.asLong();
    }

    static boolean bool(JsonNode n, String vm, String field) {
        if (!n.isBoolean()) {
            throw notItsAnswer(vm, field + " as true or false");
        }
        return n.asBoolean();
    }

    /** An object of at most {@code maxEntries} string values, each name and value bounded. */
    static Map<String, String> strings(JsonNode n, int maxEntries, int max, String vm, String field) {
        if (!n.isObject() || n.size() > maxEntries) {
            throw notItsAnswer(vm, field + " as an object of at most " + maxEntries + " strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (e.getKey().length() > max) {
                throw notItsAnswer(vm, field + " names of at most " + max + " characters");
            }
            out.put(e.getKey(), text(e.getValue(), max, vm, field));
        }
        return out;
    }

    /**
     * The first line of {@code stream}: the agent's answer ({@code {"ok":true,"result":...}}), read within
     * {@code timeout} (the stream is closed when it passes) and bounded; its {@code result}, or the refusal as
     * the error its kind maps to ({@link AgentSessions#refusal}). The stream is closed when this throws.
     */
    static JsonNode firstLine(Stream stream, String vm, Duration timeout) {
        Thread timer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                stream.close(-1, "no answer in time");
            } catch (InterruptedException done) {
                // answered in time
            }
        });
        try {
            String line = Lines.readBounded(stream.input(), MAX_LINE);
            if (line == null) {
                throw notItsAnswer(vm, "an answer line of at most " + MAX_LINE + " bytes before the stream's end");
            }
            return result(line, vm);
        } catch (IOException e) {
            stream.close(-1, "no answer");
            throw new BangerException(ErrorCode.AGENT_UNAVAILABLE, "cannot talk to the guest agent of VM '" + vm + "': "
                    + Text.printable(String.valueOf(e.getMessage()), 300));
        } catch (RuntimeException e) {
            stream.close(-1, "refused");
            throw e;
        } finally {
            timer.interrupt();
        }
    }

    /** One answer's {@code result}, or its refusal as an error. */
    static JsonNode result(String line, String vm) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw notItsAnswer(vm, "a JSON answer");
        }
        if (node == null || !node.path("ok").isBoolean()) {
            throw notItsAnswer(vm, "a JSON answer with ok");
        }
        if (!node.get("ok").asBoolean()) {
            String why = Text.printable(node.path("error").asText("no reason given"), 300);
            ErrorCode refusal = AgentSessions.refusal(node.path("kind").asText(""));
            throw new BangerException(refusal, refusal == ErrorCode.AGENT_UNAVAILABLE
                    ? "the guest agent of VM '" + vm + "' refused: " + why : "VM '" + vm + "': " + why);
        }
        return node.path("result");
    }

    static BangerException notItsAnswer(String vm, String expected) {
        return new BangerException(ErrorCode.AGENT_UNAVAILABLE, "the guest agent of VM '" + vm
                + "' sent an answer that is not one (expected " + expected + "): refused, the guest is not trusted");
    }
}
