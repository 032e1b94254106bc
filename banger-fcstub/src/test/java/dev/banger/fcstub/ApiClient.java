package dev.banger.fcstub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Transport;

/** An HTTP client for one API socket, as a Firecracker driver talks to it: Jetty over a Unix socket. */
final class ApiClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A response: status and body (parsed, or null when empty). */
    record Reply(int status, JsonNode body) {
        String fault() {
            return body == null ? null : body.path("fault_message").asText(null);
        }
    }

    private final HttpClient client;
    private final Transport transport;

    ApiClient(Path socket) {
        transport = new Transport.TCPUnix(socket);
        client = new HttpClient(new HttpClientTransportOverHTTP(new ClientConnector()));
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Reply get(String path) {
        return send("GET", path, null);
    }

    Reply put(String path, String json) {
        return send("PUT", path, json);
    }

    Reply patch(String path, String json) {
        return send("PATCH", path, json);
    }

    Reply send(String method, String path, String json) {
        Request r = client.newRequest("http://localhost" + path).method(method).transport(transport)
                .timeout(30, TimeUnit.SECONDS);
        if (json != null) {
            r.body(new StringRequestContent("application/json", json));
        }
        try {
            ContentResponse resp = r.send();
            String text = resp.getContentAsString();
            return new Reply(resp.getStatus(), text == null || text.isEmpty() ? null : JSON.readTree(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
