package dev.banger.agent;

import dev.banger.channel.Exec;
import dev.banger.channel.Records;
import dev.banger.channel.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The guest's detached processes ({@code vm exec --detach}), for the agent's whole life: they outlive the
 * host's connection, the channel and bangerd's restarts (not the agent's). At most {@link #MAX_PROCESSES}
 * entries, running or exited and not yet collected; each keeps its argv, pid, start, state, exit status and
 * the last {@link #RING_BYTES} of its stdout and of its stderr ({@link OutputRing}). Ids are tokens the agent
 * makes (8 hex digits). {@link #attach} streams a process's output (what is kept, then what comes), takes
 * stdin, and once it has exited sends its status and forgets it: attaching is how an exit status is collected.
 */
final class Detached {
    /** Where the agent in a VM keeps the output rings: on the guest's disk (/run is a small tmpfs). */
    static final Path DIR = Path.of("/var/lib/banger-agent/detached");
    static final int MAX_PROCESSES = 64;
    static final int RING_BYTES = 256 * 1024;
    /** How often an attachment waiting for output looks whether its host is still there. */
    private static final long ATTACH_POLL_MILLIS = 500;
    private static final int CHUNK = 32 * 1024;

    private final Path dir;
    private final Users users;
    private final Map<String, DetachedProcess> processes = new LinkedHashMap<>();
    private boolean dirReady;

    /** {@code dir}: where the output rings live; emptied on first use (a previous agent's are orphans). */
    Detached(Path dir, Users users) {
        this.dir = dir;
        this.users = users;
    }

    /** Starts {@code request}'s command in the background; its {@code id} and {@code pid}. */
    Map<String, Object> start(Request request) throws Launch.Refused {
        Launch.Prepared prepared = Launch.prepare(request, users);
        boolean stdin = request.bool("stdin");
        List<String> argv = request.strings("argv");
        synchronized (this) {
            if (processes.size() >= MAX_PROCESSES) {
                throw new Launch.Refused(Launch.Refused.EXHAUSTED, "this VM holds " + MAX_PROCESSES + " detached processes already (running, or exited and not "
                        + "collected): collect an exited one with vm exec --attach ID, or kill one with vm exec --kill ID");
            }
            String id = newId();
            OutputRing out = null;
            OutputRing err = null;
            try {
                prepareDir();
                out = new OutputRing(dir.resolve(id + ".out"), RING_BYTES);
                err = new OutputRing(dir.resolve(id + ".err"), RING_BYTES);
                Spawned p = Spawned.start(prepared, new Spawn.Pipes(stdin));
                DetachedProcess d = new DetachedProcess(id, argv, p, out, err, stdin);
                processes.put(id, d);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", id);
                r.put("pid", d.pid());
                return r;
            } catch (IOException e) {
                if (out != null) {
                    out.close();
                }
                if (err != null) {
                    err.close();
                }
                throw new Launch.Refused(e instanceof Spawn.NotStarted n && n.errno == Spawn.ENOENT ? Launch.Refused.NOT_FOUND
                        : Launch.Refused.PRECONDITION, "cannot start " + argv.getFirst() + ": " + e.getMessage());
            }
        }
    }

    /** Every entry, oldest first, and the most there may be. */
    synchronized Map<String, Object> list() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (DetachedProcess d : processes.values()) {
            rows.add(d.describe());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("processes", rows);
        r.put("max", MAX_PROCESSES);
        return r;
    }

    /** Sends signal {@code signal} to the process group of {@code id}, which must still run. */
    Map<String, Object> signal(String id, int signal) throws Launch.Refused {
        DetachedProcess d = find(id);
        if (!d.running()) {
            throw new Launch.Refused(Launch.Refused.PRECONDITION, "process " + id + " has exited (status " + d.ended().join() + "): vm exec --attach " + id
                    + " collects it");
        }
        d.process.signalGroup(signal);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("pid", d.pid());
        r.put("signal", signal);
        return r;
    }

    /**
     * The {@code attach} conversation over {@code stream} ({@link Exec}'s records): STARTED, the kept output
     * and then the live output (a NOTICE says how much was dropped before a reader got it), the host's STDIN,
     * STDIN_EOF and SIGNAL records to the process; when it has exited, EXIT with its status, and the entry is
     * gone. The host going away leaves the process running, attachable again.
     */
    void attach(Stream stream, Request request) throws IOException {
        String id = request.string("id", "");
        boolean withStdin = request.bool("stdin");
        DetachedProcess d;
        try {
            d = find(id);
        } catch (Launch.Refused e) {
            send(stream, Exec.ERROR, e.getMessage().getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (withStdin && !d.hasStdin) {
            send(stream, Exec.ERROR, ("process " + id + " was started without -i: its stdin is /dev/null").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!d.attach()) {
            send(stream, Exec.ERROR, ("process " + id + " has a client attached already").getBytes(StandardCharsets.UTF_8));
            return;
        }
        AtomicBoolean hostGone = new AtomicBoolean();
        try {
            send(stream, Exec.STARTED, Records.u32((int) d.pid()));
            Thread input = Thread.ofVirtual().start(() -> forwardInput(stream, d, withStdin, hostGone));
            Thread errors = Thread.ofVirtual().start(() -> relay(stream, d.stderr, Exec.STDERR, "stderr", hostGone));
            boolean all = relay(stream, d.stdout, Exec.STDOUT, "stdout", hostGone);
            errors.join();
            if (!all || hostGone.get()) {
                return;
            }
            int status = d.ended().join();
            send(stream, Exec.EXIT, Records.u32(status));
            forget(d);
            stream.close(0, "exited " + status);
            input.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the host went away: the process runs on
        } finally {
            d.detach();
        }
    }

    /** Sends one ring to the host until it ended (true) or the host left (false). */
    private static boolean relay(Stream stream, OutputRing ring, int type, String name, AtomicBoolean hostGone) {
        byte[] buf = new byte[CHUNK];
        long at = 0;
        try {
            while (!hostGone.get()) {
                OutputRing.Chunk c = ring.read(at, buf, ATTACH_POLL_MILLIS);
                if (c.dropped() > 0) {
                    send(stream, Exec.NOTICE, (c.dropped() + " bytes of its " + name + " were dropped before they could be read (the agent keeps "
                            + "the last " + RING_BYTES / 1024 + " KiB)").getBytes(StandardCharsets.UTF_8));
                }
                if (c.length() > 0) {
                    send(stream, type, buf, c.length());
                }
                at = c.next();
                if (c.ended()) {
                    return true;
                }
            }
        } catch (IOException e) {
            hostGone.set(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** The host's records to the process until the stream ends, which means the host left. */
    private static void forwardInput(Stream stream, DetachedProcess d, boolean withStdin, AtomicBoolean hostGone) {
        InputStream in = stream.input();
        OutputStream stdin = d.stdin();
        try {
            Records.Record r;
            while ((r = Records.read(in)) != null) {
                switch (r.type()) {
                    case Exec.STDIN -> {
                        if (withStdin) {
                            try {
                                stdin.write(r.payload());
                                stdin.flush();
                            } catch (IOException closed) {
                                // the process closed its stdin or exited
                            }
                        }
                    }
                    case Exec.STDIN_EOF -> {
                        if (withStdin) {
                            try {
                                stdin.close();
                            } catch (IOException ignored) {
                                // already closed
                            }
                        }
                    }
                    case Exec.SIGNAL -> {
                        int sig = Records.u32(r.payload());
                        if (sig > 0 && sig < 65 && d.running()) {
                            d.process.signalGroup(sig);
                        }
                    }
                    default -> {
                        // RESIZE (no terminal), or a newer host's record
                    }
                }
            }
        } catch (IOException e) {
            // the stream failed: the host or the channel is gone
        }
        hostGone.set(true);
    }

    private synchronized DetachedProcess find(String id) throws Launch.Refused {
        DetachedProcess d = processes.get(id);
        if (d == null) {
            throw new Launch.Refused(Launch.Refused.NOT_FOUND, "no detached process '" + clip(id) + "' in this VM (vm exec --list shows them)");
        }
        return d;
    }

    private synchronized void forget(DetachedProcess d) {
        processes.remove(d.id, d);
        d.release();
    }

    private String newId() {
        String id;
        do {
            id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        } while (processes.containsKey(id));
        return id;
    }

    private void prepareDir() throws IOException {
        if (dirReady) {
            return;
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try (var old = Files.list(dir)) {
            for (Path p : old.toList()) {
                Files.deleteIfExists(p);
            }
        }
        dirReady = true;
    }

    private static void send(Stream stream, int type, byte[] payload) throws IOException {
        send(stream, type, payload, payload.length);
    }

    private static void send(Stream stream, int type, byte[] payload, int n) throws IOException {
        OutputStream out = stream.output();
        synchronized (out) {
            Records.write(out, type, payload, 0, n);
            out.flush();
        }
    }

    private static String clip(String s) {
        return s.substring(0, Math.min(s.length(), 40));
    }
}
