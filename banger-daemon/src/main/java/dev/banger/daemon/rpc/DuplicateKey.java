package dev.banger.daemon.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.banger.api.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A key that a request line gives twice in one object. {@link Json#MAPPER} refuses such a line
 * ({@code STRICT_DUPLICATE_DETECTION}); to answer it as JSON-RPC asks (the request's own id, and
 * {@code INVALID_PARAMS} when the repeat is inside {@code params}), the line is read once more with
 * repeats allowed. Only lines that failed pay for that second reading.
 *
 * @param path    where the repeated key is: the keys (and {@code [index]} for arrays) from the top, the
 *                repeated key last, e.g. {@code [params, name]}
 * @param request the line read with the last of the repeated values winning
 */
record DuplicateKey(List<String> path, JsonNode request) {
    /** The mapper's reader on a parser factory without duplicate detection (a reader cannot switch it off itself). */
    private static final ObjectReader LENIENT = Json.MAPPER.reader()
            .with(Json.MAPPER.getFactory().rebuild().disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    /**
     * Reads a line that {@link Json#MAPPER} refused, allowing repeated keys (the last value wins).
     *
     * @throws JsonProcessingException when the line is not JSON at all (its message says why)
     */
    static JsonNode readAllowingRepeats(String line) throws JsonProcessingException {
        return LENIENT.readTree(line);
    }

    /** @param failure the strict reader's failure on a line that {@link #readAllowingRepeats} read as {@code request} */
    static DuplicateKey of(JsonProcessingException failure, JsonNode request) {
        // The strict reader stopped inside the object with the repeat; its context names the way there.
        List<String> path = new ArrayList<>();
        if (failure instanceof StreamReadException e && e.getProcessor() != null) {
            for (JsonStreamContext c = e.getProcessor().getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
                path.add(c.inArray() ? "[" + c.getCurrentIndex() + "]" : String.valueOf(c.getCurrentName()));
            }
        }
        Collections.reverse(path);
        return new DuplicateKey(List.copyOf(path), request);
    }

    /** Whether the repeat is inside the request's params (else it is in the request object itself). */
    boolean inParams() {
        return path.size() > 1 && path.getFirst().equals("params");
    }

    /** The repeated key's path below params, e.g. {@code name} or {@code packages[0].name}. */
    String paramsField() {
        return join(path.subList(1, path.size()));
    }

    /** The repeated key's path from the top, e.g. {@code id}; "a key" when the parser did not say. */
    String describe() {
        return path.isEmpty() ? "a key" : "key '" + join(path) + "'";
    }

    private static String join(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            if (!sb.isEmpty() && !k.startsWith("[")) {
                sb.append('.');
            }
            sb.append(dev.banger.core.Text.printable(k, 61));
        }
        return sb.toString();
    }
}
