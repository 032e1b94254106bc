package dev.banger.fcstub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * HTTP/1.1 on a Unix socket (Jetty), every request handed whole to one function. Like Firecracker's
 * server it takes bodies up to {@value #MAX_PAYLOAD} bytes and names itself "Firecracker API".
 */
final class ApiServer implements AutoCloseable {
    /** Firecracker's default --http-api-max-payload-size. */
    static final int MAX_PAYLOAD = 51_200;

    private final Server server;
    private final Path socket;

    private ApiServer(Server server, Path socket) {
        this.server = server;
        this.socket = socket;
    }

    /** Binds {@code socket} (which must not exist) and serves until {@link #close()}. */
    static ApiServer start(Path socket, Function<ApiRequest, ApiResponse> handler) throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("fcstub-api");
        threads.setDaemon(true);
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new ApiHandler(handler));
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // already failing
            }
            throw new IOException("cannot serve the API on " + socket + ": " + e.getMessage(), e);
        }
        return new ApiServer(server, socket);
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            System.err.println("fcstub: stopping the API server: " + e);
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            System.err.println("fcstub: cannot remove " + socket + ": " + e.getMessage());
        }
    }

    private static final class ApiHandler extends Handler.Abstract {
        private final Function<ApiRequest, ApiResponse> handler;

        ApiHandler(Function<ApiRequest, ApiResponse> handler) {
            this.handler = handler;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            response.getHeaders().put(HttpHeader.SERVER, "Firecracker API");
            long length = request.getLength();
            if (length > MAX_PAYLOAD) {
                respond(response, callback, new ApiResponse(ApiResponse.BAD_REQUEST, "{\"fault_message\":\"Request payload with size "
                        + length + " is larger than the limit of " + MAX_PAYLOAD + " allowed by server.\"}"));
                return true;
            }
            byte[] body;
            try (InputStream in = Content.Source.asInputStream(request)) {
                body = in.readNBytes(MAX_PAYLOAD + 1);
            }
            if (body.length > MAX_PAYLOAD) {
                respond(response, callback, new ApiResponse(ApiResponse.BAD_REQUEST, "{\"fault_message\":\"Request payload is larger than the limit of "
                        + MAX_PAYLOAD + " allowed by server.\"}"));
                return true;
            }
            ApiRequest r = new ApiRequest(request.getMethod(), request.getHttpURI().getDecodedPath(),
                    query(request.getHttpURI().getQuery()), request.getHeaders().get(HttpHeader.CONTENT_TYPE),
                    new String(body, StandardCharsets.UTF_8));
            respond(response, callback, handler.apply(r));
            return true;
        }

        private static void respond(Response response, Callback callback, ApiResponse r) {
            response.setStatus(r.status());
            if (r.jsonBody() == null) {
                callback.succeeded();
                return;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(r.jsonBody().getBytes(StandardCharsets.UTF_8)), callback);
        }

        private static Map<String, List<String>> query(String raw) {
            Map<String, List<String>> q = new LinkedHashMap<>();
            if (raw == null || raw.isEmpty()) {
                return q;
            }
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                q.computeIfAbsent(k, _ -> new ArrayList<>()).add(v);
            }
            return q;
        }
    }
}
