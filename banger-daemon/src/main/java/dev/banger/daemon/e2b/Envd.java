package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.e2b.EnvdRules;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * envd, E2B's in-sandbox API, served by bangerd for every sandbox and translated into banger's agent protocol (no E2B code
 * runs in the guest). A call names its sandbox by the SDK's {@code E2b-Sandbox-Id} header and proves it with that
 * sandbox's {@code X-Access-Token}; a signed file URL, which carries no header, by its signature, which only the
 * sandbox's token can make. Routes: {@code /health}, {@code /envs}, {@code /files} (GET, POST), and the Connect RPCs
 * {@code /process.Process/*} and {@code /filesystem.Filesystem/*}.
 */
final class Envd implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Envd.class.getName());
    static final String TOKEN_HEADER = "X-Access-Token";
    /** Calls in flight per sandbox, streams included: enough for any SDK client, a bound for a runaway one. */
    private static final int MAX_CALLS_PER_SANDBOX = 128;
    /** How much of a refused upload is read and dropped so that its client hears the answer. */
    private static final long MAX_DRAINED = 256L << 20;

    private final Sandboxes sandboxes;
    private final SandboxGuests guests;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final ProcessRpc processRpc;
    private final FilesystemRpc filesystemRpc;
    private final FilesHttp filesHttp;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    Envd(Sandboxes sandboxes, SandboxGuests guests, java.nio.file.Path spool, Clock clock) {
        this.sandboxes = sandboxes;
        this.guests = guests;
        this.clock = clock;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "e2b-envd-timers");
            t.setDaemon(true);
            return t;
        });
        this.processRpc = new ProcessRpc(guests.processes(), timers);
        this.filesystemRpc = new FilesystemRpc(guests.files(), timers);
        this.filesHttp = new FilesHttp(guests.files(), spool);
    }

    /** Whether a request without the sandbox header is still envd's: a signed file URL. */
    static boolean isSignedFileUrl(Request request) {
        return Request.getPathInContext(request).equals("/files") && Request.extractQueryParameters(request).getValue("signature") != null;
    }

    /** Serves one envd request for sandbox {@code sandboxId} (null: a signed URL names it) and completes the callback. */
    void handle(Request request, Response response, Callback callback, String sandboxId) {
        String path = Request.getPathInContext(request);
        try {
            if (path.equals("/health")) {
                response.setStatus(204);
                response.write(true, java.nio.ByteBuffer.allocate(0), callback);
                return;
            }
            if (path.startsWith("/process.Process/") || path.startsWith("/filesystem.Filesystem/")) {
                rpc(request, response, sandboxId, path);
            } else {
                http(request, response, sandboxId, path);
            }
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            // A response already under way cannot take an error body: the connection is failed instead.
            if (!(e instanceof IOException)) {
                LOG.log(Level.WARNING, "e2b envd: " + request.getMethod() + " " + path + " failed", e);
            }
            callback.failed(e);
        }
    }

    private void rpc(Request request, Response response, String sandboxId, String path) throws IOException {
        ConnectCall call = new ConnectCall(request, response);
        String id = sandboxId;
        try {
            if (!request.getMethod().equals("POST")) {
                throw new EnvdError("unimplemented", "Connect calls are POST");
            }
            Access access = authorized(sandboxId, request.getHeaders().get(TOKEN_HEADER));
            id = access.id();
            String user = user(request.getHeaders().get(HttpHeader.AUTHORIZATION));
            int keepalive = EnvdRules.keepaliveSeconds(request.getHeaders().get("Keepalive-Ping-Interval"));
            OptionalLong deadline = deadline(request.getHeaders().get("Connect-Timeout-Ms"));
            String method = path.substring(path.lastIndexOf('/') + 1);
            try (Slot ignored = slot(id)) {
                EnvdScope scope = new EnvdScope(ready(id), user, access.env());
                if (path.startsWith("/process.Process/")) {
                    processRpc.call(method, call, scope, keepalive, deadline);
                } else {
                    filesystemRpc.call(method, call, scope, keepalive, deadline);
                }
            }
            call.end(null);
        } catch (EnvdError e) {
            refuse(request, call, e);
        } catch (BangerException e) {
            refuse(request, call, EnvdError.of(e));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "e2b envd: " + path + " for sandbox " + id + " failed", e);
            refuse(request, call, new EnvdError("internal", "internal error: " + e));
        }
    }

    /** Ends a call with its error, what is left of its request read first (a refused call may not have read its message). */
    private static void refuse(Request request, ConnectCall call, EnvdError e) throws IOException {
        RequestBodies.drain(request, ConnectCall.MAX_MESSAGE);
        call.end(e);
    }

    private void http(Request request, Response response, String sandboxId, String path) throws IOException {
        try {
            Fields query = Request.extractQueryParameters(request);
            Access access = path.equals("/files") && query.getValue("signature") != null
                    ? signed(sandboxId, request, query)
                    : authorized(sandboxId, request.getHeaders().get(TOKEN_HEADER));
            try (Slot ignored = slot(access.id())) {
                switch (request.getMethod() + " " + path) {
                    case "GET /envs" -> json(response, 200, E2bWire.JSON.valueToTree(access.env()));
                    case "GET /files" -> {
                        String user = queryUser(query.getValue("username"));
                        String file = EnvdScope.path(query.getValue("path"), user);
                        filesHttp.download(request, response, new EnvdScope(ready(access.id()), user, access.env()), file);
                    }
                    case "POST /files" -> {
                        String user = queryUser(query.getValue("username"));
                        String file = query.getValue("path") == null || query.getValue("path").isEmpty()
                                ? null : EnvdScope.path(query.getValue("path"), user);
                        json(response, 200, filesHttp.upload(request, new EnvdScope(ready(access.id()), user, access.env()), file));
                    }
                    default -> throw new EnvdError("not_found", "envd has no " + request.getMethod() + " " + path);
                }
            }
        } catch (EnvdError e) {
            httpError(request, response, e);
        } catch (BangerException e) {
            httpError(request, response, EnvdError.of(e));
        }
    }

    /** The sandbox and its env vars, when {@code token} is its access token. */
    private Access authorized(String sandboxId, String token) {
        if (sandboxId == null || token == null || token.isEmpty()) {
            throw new EnvdError("unauthenticated", "send the sandbox's envd access token in " + TOKEN_HEADER + " (the SDK does)");
        }
        return sandboxes.envdAccess(sandboxId, token).map(env -> new Access(sandboxId, env))
                .orElseThrow(() -> new EnvdError("unauthenticated", "that is not sandbox " + sandboxId + "'s access token"));
    }

    /**
     * A signed file URL's sandbox: the one whose token makes the signature of this path, operation, user and expiration.
     * When the sandbox header is there too, only that sandbox's token counts.
     */
    private Access signed(String sandboxId, Request request, Fields query) {
        String operation = request.getMethod().equals("GET") ? "read" : "write";
        String path = query.getValue("path");
        String user = query.getValue("username");
        Long expiration;
        try {
            expiration = EnvdRules.expiration(query.getValue("signature_expiration"));
        } catch (IllegalArgumentException e) {
            throw EnvdError.invalid(e.getMessage());
        }
        if (!EnvdRules.unexpired(expiration, clock.instant().getEpochSecond())) {
            throw new EnvdError("unauthenticated", "the signed URL has expired: ask the SDK for a new one");
        }
        byte[] given = query.getValue("signature").getBytes(StandardCharsets.UTF_8);
        Optional<Map.Entry<String, Map<String, String>>> found = sandboxes.signedBy(sandboxId, token -> MessageDigest.isEqual(given,
                EnvdRules.signature(path == null ? "" : path, operation, user, token, expiration).getBytes(StandardCharsets.UTF_8)));
        return found.map(e -> new Access(e.getKey(), e.getValue()))
                .orElseThrow(() -> new EnvdError("unauthenticated", "the URL's signature is not valid for any sandbox"));
    }

    private record Access(String id, Map<String, String> env) {
    }

    /** The sandbox's VM, ready; a paused (stopped) sandbox is "unavailable", as a sandbox E2B cannot reach. */
    private dev.banger.api.VmRecord ready(String id) {
        try {
            return guests.ready(id);
        } catch (BangerException e) {
            if (e.code() == ErrorCode.FAILED_PRECONDITION || e.code() == ErrorCode.NOT_FOUND) {
                throw new EnvdError("unavailable", "sandbox " + id + " is not running: " + e.getMessage()
                        + " (a paused sandbox resumes with Sandbox.connect)");
            }
            throw e;
        }
    }

    private static String user(String authorization) {
        try {
            return EnvdRules.user(authorization);
        } catch (IllegalArgumentException e) {
            throw EnvdError.invalid(e.getMessage());
        }
    }

    private static String queryUser(String username) {
        try {
            return EnvdRules.queryUser(username);
        } catch (IllegalArgumentException e) {
            throw EnvdError.invalid(e.getMessage());
        }
    }

    private static OptionalLong deadline(String header) {
        try {
            return EnvdRules.deadlineMillis(header);
        } catch (IllegalArgumentException e) {
            throw EnvdError.invalid(e.getMessage());
        }
    }

    /** A place among the sandbox's calls in flight, given back on close. */
    private interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private Slot slot(String id) {
        AtomicInteger n = inFlight.computeIfAbsent(id, k -> new AtomicInteger());
        if (n.incrementAndGet() > MAX_CALLS_PER_SANDBOX) {
            n.decrementAndGet();
            throw new EnvdError("resource_exhausted", "sandbox " + id + " has " + MAX_CALLS_PER_SANDBOX
                    + " envd calls in flight already: close some streams first");
        }
        return n::decrementAndGet;
    }

    private static void json(Response response, int status, Object body) throws IOException {
        byte[] bytes = E2bWire.JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(bytes);
        }
    }

    /**
     * envd's error body for its HTTP routes: E2B's {@code {code, message}} with the HTTP status. An upload refused before
     * its body was read has the rest of it read and dropped first (up to a bound): a client still sending sees a reset
     * connection, not the answer, when a server answers early and closes.
     */
    private static void httpError(Request request, Response response, EnvdError e) throws IOException {
        if (response.isCommitted()) {
            throw new IOException("the response was under way when it failed: " + e.getMessage(), e);
        }
        RequestBodies.drain(request, MAX_DRAINED);
        json(response, e.httpStatus(), new E2bWire.Error(e.httpStatus(), e.getMessage()));
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
