package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.e2b.E2bSettings;
import dev.banger.store.E2bStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.logging.Logger;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The E2B-compatible API: its HTTP(S) listener ({@code [e2b] listen}), the REST API over banger's VMs and the timeout
 * reaper. Started by the daemon when configured, closed with it.
 */
public final class E2bRoom implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(E2bRoom.class.getName());
    /** Creates block while a VM starts: enough threads for the sandbox limit and the calls beside them. */
    private static final int MAX_THREADS = 64;
    private static final long IDLE_TIMEOUT_MS = 300_000;

    private final Server server;
    private final ServerConnector connector;
    private final Reaper reaper;
    private final Envd envd;

    private E2bRoom(Server server, ServerConnector connector, Reaper reaper, Envd envd) {
        this.server = server;
        this.connector = connector;
        this.reaper = reaper;
        this.envd = envd;
    }

    /**
     * Drops sandboxes whose VM is gone, starts the reaper (which kills those already past their end) and the listener.
     * {@code secretFile} holds the secret envd tokens are derived from (made 0600 on first use); uploads too large to hold
     * in memory are spooled to a root-only directory beside it.
     */
    public static E2bRoom start(E2bSettings settings, E2bStore store, E2bKeys keys, SandboxBackend backend, SandboxGuests guests,
                                String defaultImage, Path secretFile, Clock clock, SecureRandom random) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("[e2b] listen is not set");
        }
        Sandboxes sandboxes = new Sandboxes(store, backend, settings, defaultImage, TokenSecret.load(secretFile, random), clock, random);
        sandboxes.sweep();
        Reaper reaper = new Reaper(sandboxes, clock);
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("e2b-http");
        threads.setDaemon(true);
        // Requests run on virtual threads: envd streams (a command's output, a watch) hold theirs for as long as they last.
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Envd envd = new Envd(sandboxes, guests, spool(secretFile.resolveSibling("e2b-uploads")), clock);
        Server server = new Server(threads);
        ServerConnector connector = settings.tls()
                ? new ServerConnector(server, PemTls.factory(settings.tlsCert(), settings.tlsKey()))
                : new ServerConnector(server);
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        // A create blocks while its VM starts (a cold boot under TCG takes tens of seconds): the connection must outlast it.
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        server.addConnector(connector);
        server.setHandler(new E2bHandler(keys, sandboxes, envd, new PortProxy(sandboxes), settings.domain()));
        server.setStopTimeout(2_000);
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception again) {
                e.addSuppressed(again);
            }
            envd.close();
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot listen on " + settings.host() + ":" + settings.port()
                    + " ([e2b] listen): " + e.getMessage(), e);
        }
        reaper.start();
        LOG.info("e2b: API listening on " + (settings.tls() ? "https://" : "http://") + settings.host() + ":" + connector.getLocalPort()
                + " (domain " + settings.domain() + ")");
        return new E2bRoom(server, connector, reaper, envd);
    }

    /** The upload spool: root's alone, emptied of what a previous daemon left. */
    private static Path spool(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            try (var old = Files.list(dir)) {
                for (Path p : (Iterable<Path>) old::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot prepare the E2B upload directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The port bound (the configured one, or the one the kernel chose for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warning("e2b: stopping the listener: " + e);
        }
        reaper.close();
        envd.close();
    }
}
