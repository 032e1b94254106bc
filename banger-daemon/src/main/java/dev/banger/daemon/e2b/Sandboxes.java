package dev.banger.daemon.e2b;

import dev.banger.core.e2b.E2bRules;
import dev.banger.core.e2b.E2bSecrets;
import dev.banger.core.e2b.E2bSettings;
import dev.banger.store.E2bStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * E2B's sandbox operations over banger VMs: a sandbox is a VM (its id the VM's) plus a row of {@code e2b_sandboxes}. All
 * keys see all sandboxes (one team, as E2B's keys of a team do); limits count sandboxes per key and in all.
 */
final class Sandboxes {
    private static final Logger LOG = Logger.getLogger(Sandboxes.class.getName());
    private static final String CLIENT_ID = "banger";

    private final E2bStore store;
    private final SandboxBackend backend;
    private final E2bSettings settings;
    private final String defaultImage;
    private final byte[] tokenSecret;
    private final Clock clock;
    private final SecureRandom random;
    /** Creates under way, by key: they count against the limits before their row exists. */
    private final Map<String, Integer> inFlight = new HashMap<>();
    private volatile Runnable changed = () -> {
    };

    Sandboxes(E2bStore store, SandboxBackend backend, E2bSettings settings, String defaultImage, byte[] tokenSecret, Clock clock,
              SecureRandom random) {
        this.store = store;
        this.backend = backend;
        this.settings = settings;
        this.defaultImage = defaultImage;
        this.tokenSecret = tokenSecret.clone();
        this.clock = clock;
        this.random = random;
    }

    /** Called whenever an end time may have moved earlier (the reaper re-reads them). */
    void onChange(Runnable listener) {
        this.changed = listener;
    }

    E2bWire.Sandbox create(String keyId, E2bWire.NewSandbox body) {
        if (body == null) {
            throw E2bError.badRequest("the body must be a JSON object with templateID");
        }
        if (Boolean.TRUE.equals(body.autoPause())) {
            throw E2bError.badRequest("autoPause is not supported by banger yet: a sandbox is killed at its timeout");
        }
        int timeout = timeout(body.timeout());
        Map<String, String> metadata = checked("metadata", body.metadata());
        Map<String, String> env = checked("envVars", body.envVars());
        String template = body.templateID() == null || body.templateID().isEmpty() ? E2bRules.BASE_TEMPLATE : body.templateID();
        String image = E2bRules.imageFor(template, defaultImage);
        if (!backend.imageExists(image)) {
            throw E2bError.notFound("template '" + template + "' not found: templates are banger images ('banger image list')"
                    + (template.equals(E2bRules.BASE_TEMPLATE) ? "; 'base' is the default image " + image : ""));
        }
        reserve(keyId, 1);
        try {
            SandboxBackend.Vm vm = backend.create(image);
            Instant now = clock.instant();
            E2bStore.Sandbox row = new E2bStore.Sandbox(vm.id(), keyId, template, image, metadata, env, now, now.plusSeconds(timeout),
                    salt());
            insertOrDelete(row);
            LOG.info("e2b: sandbox " + vm.id() + " of " + image + " created for key " + keyId + ", ends " + row.endAt());
            return sandbox(row);
        } finally {
            release(keyId, 1);
        }
    }

    List<E2bWire.Detail> list(Map<String, String> metadataFilter, Optional<Set<String>> states) {
        List<E2bWire.Detail> out = new ArrayList<>();
        for (E2bStore.Sandbox row : store.sandboxes()) {
            Optional<SandboxBackend.Vm> vm = backend.find(row.sandboxId());
            if (vm.isEmpty() || !E2bRules.matches(row.metadata(), metadataFilter)) {
                continue;
            }
            E2bWire.Detail d = detail(row, vm.get(), false);
            if (states.map(s -> s.contains(d.state())).orElse(true)) {
                out.add(d);
            }
        }
        return out;
    }

    E2bWire.Detail get(String id) {
        E2bStore.Sandbox row = row(id);
        return detail(row, vm(row), true);
    }

    void kill(String id) {
        E2bStore.Sandbox row = row(id);
        backend.delete(row.sandboxId());
        store.deleteSandbox(row.sandboxId());
        LOG.info("e2b: sandbox " + id + " killed");
    }

    void setTimeout(String id, Integer seconds) {
        if (seconds == null) {
            throw E2bError.badRequest("timeout (seconds) is required");
        }
        int timeout = timeout(seconds);
        E2bStore.Sandbox row = row(id);
        vm(row);
        store.setEndAt(id, clock.instant().plusSeconds(timeout));
        changed.run();
    }

    /** Connects to a sandbox, starting it if it is stopped; the status is 201 when it was resumed, 200 when it ran. */
    Map.Entry<Integer, E2bWire.Sandbox> connect(String id, Integer seconds) {
        E2bStore.Sandbox row = row(id);
        SandboxBackend.Vm vm = vm(row);
        int status = 200;
        if (!vm.running()) {
            backend.resume(id);
            status = 201;
        }
        if (seconds != null) {
            // Connecting never shortens a sandbox's life, as in E2B: the later end wins.
            Instant end = clock.instant().plusSeconds(timeout(seconds));
            if (end.isAfter(row.endAt())) {
                store.setEndAt(id, end);
                row = row.withEndAt(end);
            }
        }
        return Map.entry(status, sandbox(row));
    }

    List<E2bWire.ForkResult> fork(String keyId, String id, E2bWire.Timeout body) {
        int count = body == null || body.count() == null ? 1 : body.count();
        if (count < 1 || count > settings.maxSandboxesPerKey()) {
            throw E2bError.badRequest("count must be 1-" + settings.maxSandboxesPerKey() + ", not " + count);
        }
        int timeout = timeout(body == null ? null : body.timeout());
        E2bStore.Sandbox parent = row(id);
        SandboxBackend.Vm vm = vm(parent);
        if (!vm.running()) {
            throw new E2bError(409, "sandbox " + id + " is paused: connect to it first, then fork");
        }
        reserve(keyId, count);
        try {
            List<SandboxBackend.Vm> children = backend.fork(id, count);
            List<E2bWire.ForkResult> out = new ArrayList<>();
            Instant now = clock.instant();
            for (SandboxBackend.Vm child : children) {
                E2bStore.Sandbox row = new E2bStore.Sandbox(child.id(), keyId, parent.templateId(), parent.image(), parent.metadata(),
                        parent.envVars(), now, now.plusSeconds(timeout), salt());
                insertOrDelete(row);
                out.add(new E2bWire.ForkResult(sandbox(row), null));
            }
            return out;
        } finally {
            release(keyId, count);
        }
    }

    /**
     * Metrics: one sample, taken now on the host from the sandbox's VMM (CPU over a short interval, resident memory,
     * its disks' blocks). A paused sandbox uses nothing and has none, as E2B's list is empty when there is no sample.
     * E2B keeps a history that {@code start}/{@code end} select; banger keeps none, so a window that ends before now
     * has no sample either.
     */
    List<E2bWire.Metric> metrics(String id, Long start, Long end) {
        SandboxBackend.Vm vm = vm(row(id));
        Instant now = clock.instant();
        if (!vm.running() || (end != null && end < now.getEpochSecond()) || (start != null && start > now.getEpochSecond())) {
            return List.of();
        }
        return backend.usage(id).map(u -> List.of(new E2bWire.Metric(now.toString(), now.getEpochSecond(), vm.vcpus(), u.cpuPct(),
                u.memUsed(), (long) vm.memoryMib() << 20, 0, u.diskUsed(), vm.diskMib() << 20))).orElse(List.of());
    }

    /**
     * E2B's pause: the sandbox's memory and processes are kept in a banger snapshot and its VM stops; connect resumes
     * it. Pausing a paused sandbox is a conflict (409), as in E2B.
     */
    void pause(String id) {
        SandboxBackend.Vm vm = vm(row(id));
        if (!vm.running()) {
            throw new E2bError(409, "sandbox " + id + " is already paused: connect to it to resume it");
        }
        backend.pause(id);
        LOG.info("e2b: sandbox " + id + " paused");
    }

    /**
     * A connection to {@code port} of a running sandbox, for {@code getHost(port)}'s requests: an unknown or paused
     * sandbox is 502 in E2B's shape, as E2B's proxy answers for a sandbox it cannot reach.
     */
    dev.banger.daemon.publish.GuestConnection openPort(String id, int port) {
        Optional<SandboxBackend.Vm> vm = store.sandbox(id).flatMap(row -> backend.find(row.sandboxId()));
        if (vm.isEmpty()) {
            throw new E2bError(502, "sandbox " + id + " not found: no sandbox has that id (the host was " + port + "-" + id + "."
                    + settings.domain() + ")");
        }
        if (!vm.get().running()) {
            throw new E2bError(502, "sandbox " + id + " is paused: connect to it (Sandbox.connect) to resume it, then try again");
        }
        return backend.openPort(id, port);
    }

    /**
     * Kills every sandbox whose end has come; the next end of those left, if any. A kill that fails is logged and tried
     * again at the next round; the row stays, so a daemon restart tries again too.
     */
    Optional<Instant> reapExpired() {
        Instant now = clock.instant();
        Instant next = null;
        for (E2bStore.Sandbox row : store.sandboxes()) {
            if (!row.endAt().isAfter(now)) {
                try {
                    backend.delete(row.sandboxId());
                    store.deleteSandbox(row.sandboxId());
                    LOG.info("e2b: sandbox " + row.sandboxId() + " reached its timeout (" + row.endAt() + "): killed");
                    continue;
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "e2b: cannot kill expired sandbox " + row.sandboxId() + "; trying again", e);
                    row = row.withEndAt(now.plusSeconds(5));
                }
            }
            next = next == null || row.endAt().isBefore(next) ? row.endAt() : next;
        }
        return Optional.ofNullable(next);
    }

    /** The VM was deleted (by E2B or by 'banger vm rm'): its sandbox goes with it. */
    void vmDeleted(String vmId) {
        store.deleteSandbox(vmId);
    }

    /** At start: rows whose VM is gone (deleted while the daemon was down, or a create cut short) are dropped. */
    void sweep() {
        for (E2bStore.Sandbox row : store.sandboxes()) {
            if (backend.find(row.sandboxId()).isEmpty()) {
                store.deleteSandbox(row.sandboxId());
                LOG.info("e2b: sandbox " + row.sandboxId() + " has no VM any more: forgotten");
            }
        }
    }

    /** Sandbox {@code id}'s env vars when {@code token} is its envd access token; empty otherwise, or when there is no such sandbox. */
    Optional<Map<String, String>> envdAccess(String id, String token) {
        return store.sandbox(id).filter(row -> E2bSecrets.tokenMatches(tokenSecret, row.tokenSalt(), token)).map(E2bStore.Sandbox::envVars);
    }

    /**
     * The sandbox (id and env vars) whose envd token satisfies {@code signedWith}: a signed file URL names its sandbox only
     * through its signature. With {@code onlyId}, that sandbox alone is tried.
     */
    Optional<Map.Entry<String, Map<String, String>>> signedBy(String onlyId, java.util.function.Predicate<String> signedWith) {
        for (E2bStore.Sandbox row : store.sandboxes()) {
            if ((onlyId == null || onlyId.equals(row.sandboxId())) && signedWith.test(E2bSecrets.envdToken(tokenSecret, row.tokenSalt()))) {
                return Optional.of(Map.entry(row.sandboxId(), row.envVars()));
            }
        }
        return Optional.empty();
    }

    private void insertOrDelete(E2bStore.Sandbox row) {
        try {
            store.insertSandbox(row);
        } catch (RuntimeException e) {
            // No half-made sandbox: a VM without its row would never be reaped.
            try {
                backend.delete(row.sandboxId());
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        changed.run();
    }

    private synchronized void reserve(String keyId, int n) {
        int all = store.sandboxes().size() + inFlight.values().stream().mapToInt(Integer::intValue).sum();
        int mine = (int) store.sandboxes().stream().filter(s -> s.keyId().equals(keyId)).count() + inFlight.getOrDefault(keyId, 0);
        if (all + n > settings.maxSandboxes()) {
            throw new E2bError(429, "this host runs at most " + settings.maxSandboxes() + " sandboxes ([e2b] max_sandboxes); "
                    + all + " exist: kill one first");
        }
        if (mine + n > settings.maxSandboxesPerKey()) {
            throw new E2bError(429, "this API key may have at most " + settings.maxSandboxesPerKey()
                    + " sandboxes ([e2b] max_sandboxes_per_key); it has " + mine + ": kill one first");
        }
        inFlight.merge(keyId, n, Integer::sum);
    }

    private synchronized void release(String keyId, int n) {
        inFlight.merge(keyId, -n, (a, b) -> a + b == 0 ? null : a + b);
    }

    private E2bStore.Sandbox row(String id) {
        return store.sandbox(id).orElseThrow(() -> E2bError.notFound("sandbox " + id + " not found"));
    }

    private SandboxBackend.Vm vm(E2bStore.Sandbox row) {
        return backend.find(row.sandboxId()).orElseThrow(() -> {
            store.deleteSandbox(row.sandboxId());
            return E2bError.notFound("sandbox " + row.sandboxId() + " not found (its VM is gone)");
        });
    }

    private E2bWire.Sandbox sandbox(E2bStore.Sandbox row) {
        return new E2bWire.Sandbox(row.sandboxId(), row.image(), row.templateId(), CLIENT_ID, E2bRules.ENVD_VERSION,
                E2bSecrets.envdToken(tokenSecret, row.tokenSalt()), settings.domain());
    }

    private E2bWire.Detail detail(E2bStore.Sandbox row, SandboxBackend.Vm vm, boolean withToken) {
        return new E2bWire.Detail(row.sandboxId(), row.image(), row.templateId(), CLIENT_ID, row.startedAt().toString(),
                row.endAt().toString(), E2bRules.ENVD_VERSION, withToken ? E2bSecrets.envdToken(tokenSecret, row.tokenSalt()) : null,
                withToken ? settings.domain() : null, vm.vcpus(), vm.memoryMib(), vm.diskMib(), row.metadata(),
                vm.running() ? "running" : "paused", List.of());
    }

    private static int timeout(Integer seconds) {
        try {
            return E2bRules.timeoutSeconds(seconds);
        } catch (IllegalArgumentException e) {
            throw E2bError.badRequest(e.getMessage());
        }
    }

    private static Map<String, String> checked(String what, Map<String, String> map) {
        try {
            return E2bRules.checkMap(what, map);
        } catch (IllegalArgumentException e) {
            throw E2bError.badRequest(e.getMessage());
        }
    }

    private byte[] salt() {
        byte[] b = new byte[E2bSecrets.SALT_BYTES];
        random.nextBytes(b);
        return b;
    }
}
