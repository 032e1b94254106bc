package dev.banger.daemon.e2b;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.banger.api.BangerException;
import dev.banger.core.e2b.E2bRules;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The listener's one handler. A request carrying {@code E2b-Sandbox-Id} is the SDK talking to a sandbox's envd (the SDK
 * sets that header on every envd call when {@code E2B_SANDBOX_URL} points here), and so is a signed file URL, which
 * carries no header: both go to {@link Envd}. Everything
 * else is E2B's REST API, which requires an API key in {@code X-API-Key}. Every failure is answered in E2B's error shape,
 * {@code {"code": STATUS, "message": ...}}, and the listener keeps serving.
 */
final class E2bHandler extends Handler.Abstract {
    private static final Logger LOG = Logger.getLogger(E2bHandler.class.getName());
    static final String SANDBOX_HEADER = "E2b-Sandbox-Id";
    static final String API_KEY_HEADER = "X-API-Key";
    /** Request bodies here are small JSON objects (metadata and env vars are bounded by E2bRules). */
    private static final int MAX_BODY = 1 << 20;
    private static final Pattern ID = Pattern.compile("[0-9a-zA-Z][0-9a-zA-Z-]{0,63}");

    private final E2bKeys keys;
    private final Sandboxes sandboxes;
    private final Envd envd;
    private final PortProxy ports;
    /** The sandboxes' {@code domain}: a Host {@code PORT-ID.DOMAIN} is a sandbox's port ({@link E2bRoutes}). */
    private final String domain;

    E2bHandler(E2bKeys keys, Sandboxes sandboxes, Envd envd, PortProxy ports, String domain) {
        this.keys = keys;
        this.sandboxes = sandboxes;
        this.envd = envd;
        this.ports = ports;
        this.domain = domain;
    }

    /** An answer: status, and the object to write as JSON (none for 204). */
    private record Reply(int status, Object body) {
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Reply reply;
        try {
            switch (E2bRoutes.route(request.getHeaders().get(HttpHeader.HOST), request.getHeaders().get(SANDBOX_HEADER), domain)) {
                case E2bRoutes.Port port -> {
                    ports.proxy(port, request, response, callback);
                    return true;
                }
                case E2bRoutes.Envd to -> {
                    envd.handle(request, response, callback, to.sandboxId());
                    return true;
                }
                case E2bRoutes.Rest rest -> {
                    if (Envd.isSignedFileUrl(request)) {
                        // A signed file URL carries no header and no sandbox host: its signature names the sandbox.
                        envd.handle(request, response, callback, null);
                        return true;
                    }
                }
            }
            reply = rest(request);
        } catch (E2bError e) {
            reply = error(e.status, e.getMessage());
        } catch (BangerException e) {
            reply = error(status(e), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "e2b: " + request.getMethod() + " " + Request.getPathInContext(request) + " failed", e);
            reply = error(500, "internal error: " + e);
        }
        RequestBodies.drain(request, MAX_BODY);
        response.setStatus(reply.status());
        if (reply.body() == null) {
            response.write(true, ByteBuffer.allocate(0), callback);
        } else {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            try {
                Content.Sink.write(response, true, E2bWire.JSON.writeValueAsString(reply.body()), callback);
            } catch (JsonProcessingException e) {
                callback.failed(e);
            }
        }
        return true;
    }

    private Reply rest(Request request) {
        String method = request.getMethod();
        List<String> path = List.of(Request.getPathInContext(request).replaceAll("^/+|/+$", "").split("/+"));
        if (path.equals(List.of("health"))) {
            return new Reply(200, Map.of("status", "ok"));
        }
        String keyId = keys.authenticate(request.getHeaders().get(API_KEY_HEADER))
                .orElseThrow(() -> new E2bError(401, "invalid or missing API key: send a key from 'banger e2b key create' in "
                        + API_KEY_HEADER + " (the SDK takes it from E2B_API_KEY)"));
        boolean v2 = !path.isEmpty() && path.getFirst().equals("v2");
        List<String> p = v2 ? path.subList(1, path.size()) : path;
        if (p.isEmpty() || !p.getFirst().equals("sandboxes")) {
            throw E2bError.notFound("no such endpoint: " + method + " " + Request.getPathInContext(request));
        }
        if (p.size() == 1) {
            return switch (method) {
                case "POST" -> new Reply(201, sandboxes.create(keyId, read(request, E2bWire.NewSandbox.class)));
                case "GET" -> {
                    Fields query = Request.extractQueryParameters(request);
                    try {
                        yield new Reply(200, sandboxes.list(E2bRules.metadataFilter(query.getValue("metadata")),
                                E2bRules.stateFilter(query.getValues("state"))));
                    } catch (IllegalArgumentException e) {
                        throw E2bError.badRequest(e.getMessage());
                    }
                }
                default -> throw notAllowed(method, p);
            };
        }
        String id = p.get(1);
        if (!ID.matcher(id).matches()) {
            throw E2bError.notFound("sandbox " + id + " not found");
        }
        String action = p.size() == 2 ? "" : p.size() == 3 ? p.get(2) : null;
        if (action == null) {
            throw E2bError.notFound("no such endpoint: " + method + " " + Request.getPathInContext(request));
        }
        return switch (method + " " + action) {
            case "GET " -> new Reply(200, sandboxes.get(id));
            case "DELETE " -> {
                sandboxes.kill(id);
                yield new Reply(204, null);
            }
            case "POST timeout" -> {
                E2bWire.Timeout body = read(request, E2bWire.Timeout.class);
                sandboxes.setTimeout(id, body == null ? null : body.timeout());
                yield new Reply(204, null);
            }
            case "POST connect", "POST resume" -> {
                E2bWire.Timeout body = read(request, E2bWire.Timeout.class);
                var answer = sandboxes.connect(id, body == null ? null : body.timeout());
                yield new Reply(answer.getKey(), answer.getValue());
            }
            case "POST pause" -> {
                sandboxes.pause(id);
                yield new Reply(204, null);
            }
            case "POST fork" -> new Reply(201, sandboxes.fork(keyId, id, read(request, E2bWire.Timeout.class)));
            case "GET metrics" -> {
                Fields query = Request.extractQueryParameters(request);
                yield new Reply(200, sandboxes.metrics(id, epochSeconds(query, "start"), epochSeconds(query, "end")));
            }
            default -> throw notAllowed(method, p);
        };
    }

    /** An optional query parameter of Unix seconds (the SDK's metrics window). */
    private static Long epochSeconds(Fields query, String name) {
        String v = query.getValue(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw E2bError.badRequest(name + " must be Unix seconds, not '" + v + "'");
        }
    }

    private static E2bError notAllowed(String method, List<String> path) {
        return new E2bError(405, method + " is not served on /" + String.join("/", path));
    }

    /** The JSON body as {@code type}; null when there is none. */
    private static <T> T read(Request request, Class<T> type) {
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes(MAX_BODY + 1);
        } catch (IOException e) {
            throw E2bError.badRequest("cannot read the request body: " + e.getMessage());
        }
        if (body.length > MAX_BODY) {
            throw new E2bError(413, "the request body is over " + MAX_BODY + " bytes");
        }
        if (body.length == 0) {
            return null;
        }
        try {
            return E2bWire.JSON.readValue(body, type);
        } catch (IOException e) {
            throw E2bError.badRequest("the body is not the JSON expected: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse(s);
    }

    private static Reply error(int status, String message) {
        return new Reply(status, new E2bWire.Error(status, message));
    }

    private static int status(BangerException e) {
        return switch (e.code()) {
            case NOT_FOUND -> 404;
            case INVALID_ARGUMENT, INVALID_PARAMS -> 400;
            case NAME_TAKEN, FAILED_PRECONDITION -> 409;
            case RESOURCE_EXHAUSTED -> 503;
            case UNSUPPORTED -> 501;
            case TIMED_OUT -> 504;
            default -> 500;
        };
    }
}
