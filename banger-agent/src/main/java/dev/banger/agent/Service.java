package dev.banger.agent;

import dev.banger.channel.OpenHandler;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the agent does for the host, one stream per request (the stream's OPEN carries the request, a JSON
 * object with an {@code op}): {@code health}, {@code ports}, {@code ready}, {@code procs}, {@code signal} and
 * {@code identity} (a restored snapshot's child made itself: {@link Identity}) and {@code warm} (that path made
 * ready before the host snapshots this VM) answer with one JSON line
 * ({@code {"ok": true, "result": ...}} or {@code {"ok": false, "error": "..."}});
 * {@code exec} runs a command over the stream ({@link ExecSession}), or with {@code "detach": true} starts it
 * in the background and answers with its id ({@link Detached}); {@code attach} joins a detached process over
 * the stream; {@code copy_in} and {@code copy_out} move files ({@link CopyIn}, {@link CopyOut}); {@code fs_stat},
 * {@code fs_list}, {@code fs_mkdir}, {@code fs_move} and {@code fs_remove} answer about the guest's files
 * ({@link FsOps}), {@code fs_read} and {@code fs_write} move one whole file ({@link FsTransfer}), {@code fs_watch} streams a directory's changes ({@link FsWatch}); {@code proc_connect},
 * {@code proc_input}, {@code proc_close_stdin} and {@code proc_resize} serve long-lived processes
 * ({@link Detached}); {@code connect}, {@code udp}
 * and {@code listeners} serve published ports ({@link Forward}). Every
 * transport (virtio-serial, vsock, TCP) serves the same; who may ask is the transport's to check.
 */
final class Service implements OpenHandler {
    /** Written by the guest's boot once its configuration is applied (hostname, network, /work, keys). */
    static final Path READY = Path.of("/run/banger/guest-ready");
    private static final long READY_POLL_MILLIS = 50;
    private static final long MAX_READY_WAIT_MILLIS = 10 * 60 * 1000;

    private final Ports ports;
    private final int ownPort;
    private final Users users;
    private final Path ready;
    private final Detached detached;
    private final FsOps files;
    private final FsTransfer transfers;
    private final Identity.Steps identity;
    private final long startedAt = System.nanoTime();
    private final IdleTrim idle = new IdleTrim(IdleTrim.QUIET_MILLIS, IdleTrim::giveBack);
    private final Warmup warmup = new Warmup();

    /** {@code identity}: what the identity op does to the guest ({@link IdentitySteps} in a VM; a stand-in elsewhere). */
    Service(Ports ports, Users users, Path ready, Detached detached, Identity.Steps identity) {
        this(ports, users, ready, detached, identity, -1);
    }

    /** {@code ownPort}: the agent's own TCP port, which the {@code listeners} watch leaves out (-1: none). */
    Service(Ports ports, Users users, Path ready, Detached detached, Identity.Steps identity, int ownPort) {
        this.ownPort = ownPort;
        this.ports = ports;
        this.users = users;
        this.ready = ready;
        this.detached = detached;
        this.identity = identity;
        this.files = new FsOps(users);
        this.transfers = new FsTransfer(users);
    }

    @Override
    public void onOpen(Stream stream, byte[] requestBytes) throws IOException {
        if (Request.isOp(requestBytes, "listeners")) {
            Forward.watch(stream, ownPort); // lasts as long as the VM's publishing: not work that keeps the agent from trimming
            return;
        }
        if (Request.isOp(requestBytes, "fs_watch")) {
            FsWatch.serve(stream, Request.parse(requestBytes), users); // as long as the host watches: not work that keeps the agent from trimming
            return;
        }
        idle.begin();
        try {
            serve(stream, requestBytes);
        } finally {
            idle.end();
            warmup.once(); // after the first answer, never before it
        }
    }

    private void serve(Stream stream, byte[] requestBytes) throws IOException {
        Request request;
        try {
            request = Request.parse(requestBytes);
        } catch (IllegalArgumentException e) {
            reply(stream, error("not a request: " + e.getMessage()));
            return;
        }
        try {
            switch (request.op()) {
                case "health" -> reply(stream, ok(health()));
                case "ports" -> reply(stream, ok(ports.list()));
                case "ready" -> reply(stream, ok(awaitReady(request.number("timeout_ms", 0, 0, MAX_READY_WAIT_MILLIS))));
                case "exec" -> {
                    if (request.bool("detach") && request.bool("attach")) {
                        detached.startAttached(stream, request);
                    } else if (request.bool("detach")) {
                        reply(stream, ok(detached.start(request)));
                    } else {
                        new ExecSession(stream, request, users).run();
                    }
                }
                case "procs" -> reply(stream, ok(detached.list()));
                case "warm" -> reply(stream, warm());
                case "signal" -> reply(stream, ok(detached.signal(request, (int) request.number("signal", 0, 1, 64))));
                case "attach" -> detached.attach(stream, request);
                case "proc_connect" -> detached.connect(stream, request);
                case "proc_input" -> reply(stream, ok(detached.input(request)));
                case "proc_close_stdin" -> reply(stream, ok(detached.closeInput(request)));
                case "proc_resize" -> reply(stream, ok(detached.resize(request)));
                case "copy_in" -> new CopyIn(stream, request).run();
                case "copy_out" -> new CopyOut(stream, request).run();
                case "identity" -> reply(stream, Identity.answer(request, identity));
                case "fs_stat", "fs_list", "fs_mkdir", "fs_move", "fs_remove" -> reply(stream, ok(files.answer(request)));
                case "fs_read" -> transfers.read(stream, request);
                case "fs_write" -> transfers.write(stream, request);
                case "connect" -> Forward.tcp(stream, request);
                case "udp" -> Forward.udp(stream, request);
                default -> reply(stream, error("unknown op '" + clip(request.op())
                        + "' (health, ports, ready, exec, procs, signal, attach, proc_connect, proc_input, proc_close_stdin, proc_resize, copy_in, copy_out, identity, warm, fs_stat, fs_list, fs_mkdir, fs_move, fs_remove, fs_read, fs_write, fs_watch, connect, udp, listeners)"));
            }
        } catch (IllegalArgumentException e) {
            reply(stream, error(e.getMessage()));
        } catch (Launch.Refused e) {
            reply(stream, refusal(e));
        }
    }

    /** A refusal's answer: its text, and its kind, which the daemon maps to its error codes. */
    static Map<String, Object> refusal(Launch.Refused e) {
        Map<String, Object> r = error(e.getMessage());
        r.put("kind", e.kind);
        return r;
    }

    /** One JSON answer line on a stream that carries more after it (a watch's events, an attachment's records). */
    static void line(Stream stream, Map<String, Object> answer) throws IOException {
        OutputStream out = stream.output();
        synchronized (out) {
            out.write((Json.write(answer) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /** Work that may be refused: what a stream with an answer line does before it answers. */
    interface Refusable<T> {
        T get() throws Launch.Refused;
    }

    /**
     * {@code work}'s result, or empty once its refusal (or a malformed request) was answered on {@code stream},
     * which then ends: the first step of every stream that answers a line before it carries more.
     */
    static <T> Optional<T> orRefuse(Stream stream, Refusable<T> work) throws IOException {
        try {
            return Optional.of(work.get());
        } catch (Launch.Refused e) {
            refuse(stream, refusal(e));
        } catch (IllegalArgumentException e) {
            refuse(stream, error(e.getMessage()));
        }
        return Optional.empty();
    }

    /** Answers {@code answer} (a refusal) on such a stream, which ends with it. */
    static void refuse(Stream stream, Map<String, Object> answer) throws IOException {
        line(stream, answer);
        stream.close(0, "refused");
    }

    /** {@code warm}: the identity op's path made ready before the host snapshots this VM ({@link Warmup#identity}). */
    private static Map<String, Object> warm() {
        try {
            Map<String, Object> warmed = new LinkedHashMap<>();
            warmed.put("ms", Warmup.identity());
            return ok(warmed);
        } catch (IOException | RuntimeException | LinkageError e) {
            return error("cannot warm the identity path: " + e.getMessage());
        }
    }

    private Map<String, Object> health() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("status", "ok");
        r.put("version", Main.version());
        r.put("uptime_ms", (System.nanoTime() - startedAt) / 1_000_000);
        r.put("ready", Files.exists(ready));
        return r;
    }

    /** Waits up to {@code timeoutMillis} for the guest-ready milestone; says whether it came. */
    private Map<String, Object> awaitReady(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!Files.exists(ready) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(READY_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ready", Files.exists(ready));
        r.put("uptime_ms", (System.nanoTime() - startedAt) / 1_000_000);
        return r;
    }

    static Map<String, Object> ok(Map<String, Object> result) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        r.put("result", result);
        return r;
    }

    static Map<String, Object> error(String message) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", false);
        r.put("error", message);
        return r;
    }

    private static void reply(Stream stream, Map<String, Object> reply) throws IOException {
        OutputStream out = stream.output();
        out.write((Json.write(reply) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        stream.close(0, "answered");
    }

    private static String clip(String s) {
        return s.substring(0, Math.min(s.length(), 40));
    }
}
