package dev.banger.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * The agent's server: one request per connection, one JSON line each way. Request
 * {@code {"token": "...", "method": "health" | "version" | "ports"}}; reply {@code {"ok": true, "result": ...}}
 * or {@code {"ok": false, "error": "..."}}. New methods (exec, files) are new names in {@link #answer}.
 *
 * <p>Who may ask: over TCP (the fallback transport), only the VM's gateway (the host's bridge address,
 * read from the routing table at each connection) and only with the VM's token when one was given. Reads
 * are bounded in size and time; at most {@link #MAX_CLIENTS} connections are served at once.
 */
final class Agent {
    static final int DEFAULT_PORT = 1024;
    static final int MAX_REQUEST_BYTES = 4096;
    static final int MAX_CLIENTS = 32;
    private static final int READ_TIMEOUT_MS = 5000;

    private final Optional<String> token;
    private final Supplier<Optional<InetAddress>> gateway;
    private final Ports ports;
    private final long startedAt = System.nanoTime();
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);

    Agent(Optional<String> token, Supplier<Optional<InetAddress>> gateway, Ports ports) {
        this.token = token;
        this.gateway = gateway;
        this.ports = ports;
    }

    /** Serves forever on {@code port} (all of the guest's addresses; the gateway check decides who is answered). */
    void serve(int port) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(port), 64);
            System.err.println("banger-agent " + Main.version() + ": listening on TCP port " + port);
            while (true) {
                Socket s = server.accept();
                if (!clients.tryAcquire()) {
                    s.close(); // busy: the daemon retries; a flood never grows the agent
                    continue;
                }
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        handle(s);
                    } catch (IOException | RuntimeException e) {
                        // a client that went away or sent nonsense: nothing to do but drop it
                    } finally {
                        clients.release();
                    }
                });
            }
        }
    }

    private void handle(Socket s) throws IOException {
        s.setSoTimeout(READ_TIMEOUT_MS);
        InetAddress peer = s.getInetAddress();
        Optional<InetAddress> gw = gateway.get();
        if (gw.isEmpty() || !gw.get().equals(peer)) {
            reply(s.getOutputStream(), error("only the VM's gateway may ask the agent"));
            return;
        }
        converse(s.getInputStream(), s.getOutputStream());
    }

    /**
     * Serves vsock on {@code port} until the process ends, on platform threads (a read is a native call,
     * which would pin a virtual thread's carrier). Only the host (CID 2) is answered: vsock reaches
     * nothing else, so the gateway check of TCP has no equivalent to make here.
     */
    void serveVsock(int listener) {
        while (true) {
            Vsock.Accepted c;
            try {
                c = Vsock.accept(listener);
            } catch (IOException e) {
                System.err.println("banger-agent: vsock accept failed (" + e.getMessage() + "): vsock serving stops");
                return;
            }
            if (!clients.tryAcquire()) {
                Vsock.closeQuietly(c.fd());
                continue;
            }
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    if (c.peerCid() != Vsock.VMADDR_CID_HOST) {
                        reply(Vsock.output(c.fd()), error("only the host (CID 2) may ask the agent over vsock"));
                    } else {
                        converse(Vsock.input(c.fd()), Vsock.output(c.fd()));
                    }
                } catch (IOException | RuntimeException e) {
                    // a client that went away
                } finally {
                    Vsock.closeQuietly(c.fd());
                    clients.release();
                }
            });
        }
    }

    /** One request line in, one reply line out. */
    void converse(InputStream in, OutputStream out) throws IOException {
        String line = readLine(in);
        reply(out, line == null ? error("the request must be one JSON line of at most " + MAX_REQUEST_BYTES + " bytes")
                : answer(line));
    }

    /** The reply to one request line (package-private: the tests call it directly). */
    Map<String, Object> answer(String line) {
        Map<String, String> request;
        try {
            request = Json.parseFlatObject(line);
        } catch (IllegalArgumentException e) {
            return error("the request must be a JSON object of strings: " + e.getMessage());
        }
        if (token.isPresent() && !sameToken(token.get(), request.getOrDefault("token", ""))) {
            return error("wrong or missing token");
        }
        String method = request.getOrDefault("method", "");
        Map<String, Object> result = new LinkedHashMap<>();
        switch (method) {
            case "health" -> {
                result.put("status", "ok");
                result.put("version", Main.version());
                result.put("uptime_ms", (System.nanoTime() - startedAt) / 1_000_000);
            }
            case "version" -> result.put("version", Main.version());
            case "ports" -> {
                try {
                    result = ports.list();
                } catch (IOException e) {
                    return error("listing ports failed: " + e.getMessage());
                }
            }
            default -> {
                return error("unknown method '" + method.substring(0, Math.min(method.length(), 40)) + "' (health, version, ports)");
            }
        }
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("ok", true);
        reply.put("result", result);
        return reply;
    }

    private static boolean sameToken(String expected, String given) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> error(String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("ok", false);
        e.put("error", message);
        return e;
    }

    private static void reply(OutputStream out, Map<String, Object> reply) throws IOException {
        out.write((Json.write(reply) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One line of at most MAX_REQUEST_BYTES, or null when longer or the stream ends first. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (b.size() <= MAX_REQUEST_BYTES) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            if (c == '\n') {
                return b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return null;
    }
}
