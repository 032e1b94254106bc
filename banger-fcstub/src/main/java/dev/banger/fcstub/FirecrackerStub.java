package dev.banger.fcstub;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A strict stand-in for one Firecracker process: the API on a Unix socket, validated against
 * Firecracker's contract, each request recorded; InstanceStart starts the {@link GuestMode guest}.
 * The stub ends when its guest ends (as Firecracker exits on a guest reset) or when closed; either way
 * the API socket, the vsock socket and the guest's scratch directory are removed.
 *
 * <p>In-process, {@link GuestMode#QEMU} sends the guest console where this JVM's stdout goes; tests
 * that boot a real guest run the stub as a process ({@link Main}) with stdout in a file, as banger does.
 */
public final class FirecrackerStub implements AutoCloseable {
    /** Firecracker's instance id when no --id is given. */
    public static final String DEFAULT_ID = "anonymous-instance";
    /** Long enough for the 400 to reach the client before the socket goes. */
    static final Duration LOAD_FAILURE_EXIT_DELAY = Duration.ofMillis(200);

    private final Path apiSocket;
    private final RequestLog requests;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Object shutdownLock = new Object();
    private Guest guest;
    private ApiController controller;
    private ApiServer server;
    private boolean shutDown;

    private FirecrackerStub(Path apiSocket, RequestLog requests) {
        this.apiSocket = apiSocket;
        this.requests = requests;
    }

    /** Starts a stub whose vsock proxy finds the guest through banger's config drive. */
    public static FirecrackerStub start(Path apiSocket, String id, GuestMode mode) throws IOException {
        return start(apiSocket, id, mode, GuestAddress.fromConfigDrive());
    }

    /**
     * Binds the API socket and serves. Refuses (IOException) when {@code apiSocket} already exists, as
     * Firecracker does.
     *
     * @param id the instance id (Firecracker's --id), or null for {@value #DEFAULT_ID}
     */
    public static FirecrackerStub start(Path apiSocket, String id, GuestMode mode, GuestAddress guestAddress) throws IOException {
        String instanceId = id == null ? DEFAULT_ID : id;
        Path sock = apiSocket.toAbsolutePath();
        return start(sock, instanceId, listener -> switch (mode) {
            case NONE -> new NoGuest(listener);
            case QEMU -> new QemuGuest(instanceId, sock, listener, QemuArgv.BINARY);
        }, guestAddress, mode.toString());
    }

    /** With any guest (tests: a QEMU guest whose binary is a fake). */
    static FirecrackerStub start(Path apiSocket, String instanceId, Function<Guest.ExitListener, Guest> guests,
                                 GuestAddress guestAddress, String guestName) throws IOException {
        Path sock = apiSocket.toAbsolutePath();
        if (Files.exists(sock, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("Failed to open the API socket at " + sock + ": the path already exists (another "
                    + "Firecracker may be using it; remove it if it is stale)");
        }
        ObjectMapper json = new ObjectMapper();
        FirecrackerStub stub = new FirecrackerStub(sock, new RequestLog(RequestLog.besides(sock), json));
        stub.guest = guests.apply(stub::guestExited);
        stub.controller = new ApiController(ApiContract.shared(), instanceId, stub.guest, guestAddress, stub.requests, json,
                stub::loadFailed);
        stub.server = ApiServer.start(sock, stub.controller::handle);
        System.err.println("fcstub: serving the Firecracker API on " + sock + " (instance " + instanceId + ", guest " + guestName + ")");
        return stub;
    }

    public Path apiSocket() {
        return apiSocket;
    }

    /** The file where each request is appended as a JSON line: fcstub-requests.jsonl beside the API socket. */
    public Path requestLog() {
        return requests.file();
    }

    /** Every request received so far, valid or not, in order. */
    public List<Recorded> requests() {
        return requests.all();
    }

    /** Whether InstanceStart has succeeded. */
    public boolean started() {
        return controller.started();
    }

    /** Whether a guest runs now (with {@link GuestMode#NONE}: between InstanceStart and the reset). */
    public boolean guestRunning() {
        return guest.running();
    }

    /** Waits for the stub to end; its exit status (0 after a guest-initiated exit or close), or empty on timeout. */
    public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        try {
            return OptionalInt.of(exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return OptionalInt.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Waits as long as it takes for the stub to end; its exit status. */
    public int awaitExit() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops serving, kills the guest, removes the sockets. Idempotent; a running stub then ends with status 0. */
    @Override
    public void close() {
        shutdown(0);
    }

    /**
     * A snapshot load failed past its checks: Firecracker reports the error and exits, since the process may be half
     * built. The stub exits likewise (status 1), a moment after the answer has gone out.
     */
    private void loadFailed() {
        Thread.ofPlatform().name("fcstub-load-failed").start(() -> {
            try {
                Thread.sleep(LOAD_FAILURE_EXIT_DELAY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.err.println("fcstub: the snapshot load failed; exiting with status 1, as Firecracker does");
            shutdown(1);
        });
    }

    private void guestExited(int status, String why) {
        System.err.println("fcstub: " + why + "; exiting with status " + status);
        // not on the guest's own thread: shutting down waits for that thread's process
        Thread.ofPlatform().name("fcstub-shutdown").start(() -> shutdown(status));
    }

    private void shutdown(int status) {
        synchronized (shutdownLock) {
            if (shutDown) {
                return;
            }
            shutDown = true;
            server.close();
            controller.close();
            guest.stop();
        }
        exit.complete(status);
    }
}
