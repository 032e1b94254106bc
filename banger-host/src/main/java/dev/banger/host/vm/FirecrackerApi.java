package dev.banger.host.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.core.Text;
import dev.banger.core.vm.FirecrackerBoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;

/**
 * A client of one Firecracker's REST API: HTTP/1.1 over its Unix socket, spoken by Jetty's client (no
 * hand-parsed HTTP). Firecracker answers 204 to a configuration request and 4xx with
 * {@code {"fault_message": "..."}} when it refuses one; that message reaches the user verbatim (made
 * printable: it is another process's text).
 */
public final class FirecrackerApi implements AutoCloseable {
    /** Every request is answered at once by Firecracker (InstanceStart included); a stuck one is a fault. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Firecracker's responses are small; a bigger one is not Firecracker. */
    private static final int MAX_RESPONSE_BYTES = 1024 * 1024;
    private static final int MAX_FAULT_CHARS = 2000;

    private final Path socket;
    private final HttpClient client;

    private FirecrackerApi(Path socket, HttpClient client) {
        this.socket = socket;
        this.client = client;
    }

    public static FirecrackerApi open(Path socket) {
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(ClientConnector.forUnixDomain(socket)));
        client.setConnectTimeout(REQUEST_TIMEOUT.toMillis());
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        try {
            client.start();
        } catch (Exception e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot start an HTTP client for " + socket + ": " + e.getMessage(), e);
        }
        return new FirecrackerApi(socket, client);
    }

    /** Sends one request; returns the response body (null for 204); a refusal throws with Firecracker's fault_message. */
    public JsonNode send(FirecrackerBoot.Call call) {
        return send(call, REQUEST_TIMEOUT);
    }

    /**
     * {@link #send(FirecrackerBoot.Call)} with its own time limit: a snapshot's create and load answer only once
     * the guest's memory is written or mapped, which takes as long as the memory is large.
     */
    public JsonNode send(FirecrackerBoot.Call call, Duration timeout) {
        Request request = client.newRequest("http://localhost" + call.path())
                .method(HttpMethod.fromString(call.method()))
                .headers(h -> h.put("Accept", "application/json"))
                .timeout(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        if (call.body() != null) {
            request.body(new StringRequestContent("application/json", Json.line(call.body()), StandardCharsets.UTF_8));
        }
        ContentResponse response;
        try {
            response = request.send();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while talking to Firecracker on " + socket);
        } catch (Exception e) {
            throw new BangerException(ErrorCode.TIMED_OUT, "Firecracker did not answer " + call.method() + " " + call.path()
                    + " on " + socket + ": " + Text.printable(String.valueOf(e.getMessage()), 300), e);
        }
        byte[] content = response.getContent();
        if (content.length > MAX_RESPONSE_BYTES) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "Firecracker's answer to " + call.path() + " is " + content.length
                    + " bytes: not Firecracker?");
        }
        int status = response.getStatus();
        if (status >= 200 && status < 300) {
            return content.length == 0 ? null : parse(content, call);
        }
        throw new BangerException(ErrorCode.FAILED_PRECONDITION, "Firecracker refused " + call.method() + " " + call.path()
                + " (HTTP " + status + "): " + faultMessage(content));
    }

    public JsonNode get(String path) {
        return send(new FirecrackerBoot.Call("GET", path, null));
    }

    /** The fault_message of an error body, or the body itself when it is not Firecracker's Error object. */
    static String faultMessage(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode node = Json.MAPPER.readTree(text);
            if (node != null && node.hasNonNull("fault_message")) {
                text = node.get("fault_message").asText();
            }
        } catch (IOException e) {
            // not JSON: quote what came
        }
        return text.isBlank() ? "(no fault_message)" : Text.printable(text, MAX_FAULT_CHARS);
    }

    private JsonNode parse(byte[] content, FirecrackerBoot.Call call) {
        try {
            return Json.MAPPER.readTree(content);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "Firecracker's answer to " + call.path() + " is not JSON: "
                    + Text.printable(new String(content, StandardCharsets.UTF_8), 200));
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            // Nothing to recover: the client's threads end with it.
        }
    }
}
