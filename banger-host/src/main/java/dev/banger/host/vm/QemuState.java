package dev.banger.host.vm;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.QmpMessages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A QEMU's memory and device state in a file, for snapshots. QEMU 7.2 has no {@code file:} migration, and
 * banger's {@code -sandbox spawn=deny} refuses {@code exec:}, so the state travels over a Unix socket this side
 * holds: saving, QEMU migrates to a socket this side listens on and copies into the file; loading, a QEMU
 * started with {@code -incoming unix:SOCKET} listens and this side streams the file into it. Zero pages are
 * not sent, so a freshly booted 512 MiB guest makes ~130 MiB. The guest is stopped for the save (a consistent
 * image, not a live migration's iterations) and left stopped, also when the save fails: the caller resumes it,
 * or not. A failed save leaves no file.
 */
public final class QemuState {
    private static final Duration POLL = Duration.ofMillis(20);
    private static final int CHUNK = 1 << 20;
    /** How long a failed save waits for its writer to stop before removing the partial file. */
    private static final Duration WRITER_GRACE = Duration.ofSeconds(2);

    /** What a save wrote, and how long the guest was stopped for it. */
    public record Saved(long bytes, Duration stopped) {
    }

    private QemuState() {
    }

    /**
     * Stops the guest behind {@code qmp} and writes its state to {@code file} (created; it must not exist),
     * through a socket at {@code socket} (made and removed here). At most {@code maxBytes} are accepted: a
     * QEMU that sends more is not saving the VM banger started. The guest stays stopped.
     */
    public static Saved save(QmpClient qmp, Path file, Path socket, long maxBytes, Duration timeout) {
        return save(qmp, file, new byte[0], socket, maxBytes, timeout);
    }

    /**
     * {@link #save(QmpClient, Path, Path, long, Duration)} with {@code header} written before QEMU's stream (a
     * stand-in for another VMM keeps its own record of the machine there); {@link #load(QmpClient, Path, Path, long,
     * Duration)} skips it. {@code maxBytes} bounds QEMU's part; the bytes returned include the header.
     */
    public static Saved save(QmpClient qmp, Path file, byte[] header, Path socket, long maxBytes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        deleteQuietly(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Long> written = CompletableFuture.supplyAsync(() -> receive(server, file, header, maxBytes),
                    command -> Thread.ofPlatform().daemon().name("qemu-state-save").start(command));
            long stoppedAt = System.nanoTime();
            qmp.execute(QmpMessages.STOP, remaining(deadline));
            try {
                qmp.execute(QmpMessages.MIGRATE, Map.of("uri", "unix:" + socket), remaining(deadline));
                awaitMigration(qmp, deadline, "saving the VM's state to " + file);
                long bytes = written.get(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS);
                return new Saved(bytes, Duration.ofNanos(System.nanoTime() - stoppedAt));
            } catch (RuntimeException | ExecutionException | TimeoutException e) {
                server.close(); // a writer still waiting for QEMU's connection gives up
                try {
                    written.get(WRITER_GRACE.toMillis(), TimeUnit.MILLISECONDS); // then the file is no longer written to
                } catch (ExecutionException | TimeoutException ended) {
                    // it failed too, or QEMU holds the connection: the file goes all the same
                }
                Files.deleteIfExists(file);
                throw failure("saving the VM's state to " + file, e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while saving the VM's state to " + file);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot save the VM's state to " + file + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(socket);
        }
    }

    /**
     * Streams {@code file} into the QEMU behind {@code qmp}, which was started with {@code -incoming unix:SOCKET}
     * and listens on {@code incoming}, and waits until QEMU has taken it. The guest is then stopped, as it was
     * saved: the caller resumes it.
     */
    public static void load(QmpClient qmp, Path incoming, Path file, Duration timeout) {
        load(qmp, incoming, file, 0, timeout);
    }

    /** {@link #load(QmpClient, Path, Path, Duration)} of the stream that starts {@code offset} bytes into {@code file}. */
    public static void load(QmpClient qmp, Path incoming, Path file, long offset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel out = connectOnce(incoming, deadline);
             FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (offset < 0 || offset > size) {
                throw new IOException("the state starts at byte " + offset + " of a " + size + "-byte file");
            }
            // A plain copy: transferTo into a Unix socket may stop short (0 bytes) while QEMU is still reading.
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long sent = offset;
            while (sent < size) {
                buf.clear();
                int n = in.read(buf, sent);
                if (n <= 0) {
                    throw new IOException("the state file ended at " + sent + " of " + size + " bytes");
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                sent += n;
                remaining(deadline);
            }
            out.shutdownOutput();
            awaitMigration(qmp, deadline, "loading the VM's state from " + file);
        } catch (QmpClient.ConnectionClosed e) {
            // QEMU exits when the stream it is given is not a state it can load
            throw new BangerException(ErrorCode.HOST_FAILURE, "QEMU ended while loading the VM's state from " + file
                    + ": the file is not a state this QEMU can take (its output says why)", e);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "cannot load the VM's state from " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The one connection QEMU takes as the incoming stream: nothing may probe the socket before (QEMU would read that
     * connection as the state and fail), so a socket not yet listening is retried until the deadline.
     */
    private static SocketChannel connectOnce(Path incoming, long deadline) throws IOException {
        while (true) {
            SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                out.connect(UnixDomainSocketAddress.of(incoming));
                return out;
            } catch (java.net.SocketException e) { // not there yet, or not listening yet
                out.close();
                remaining(deadline);
                try {
                    Thread.sleep(POLL);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw new BangerException(ErrorCode.CANCELLED, "interrupted while waiting for QEMU's incoming socket " + incoming);
                }
            }
        }
    }

    /** Resumes a stopped guest. */
    public static void resume(QmpClient qmp, Duration timeout) {
        qmp.execute(QmpMessages.CONT, timeout);
    }

    private static long receive(ServerSocketChannel server, Path file, byte[] header, long maxBytes) {
        try (SocketChannel from = server.accept();
             FileChannel to = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.wrap(header);
            while (head.hasRemaining()) {
                to.write(head);
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long total = 0;
            while (from.read(buf) >= 0) {
                buf.flip();
                total += buf.remaining();
                if (total > maxBytes) {
                    throw new IOException("QEMU sent more than " + maxBytes + " bytes of state");
                }
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
            to.force(true);
            return header.length + total;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitMigration(QmpClient qmp, long deadline, String what) {
        while (true) {
            QmpMessages.Migration m = QmpMessages.migration(qmp.execute(QmpMessages.QUERY_MIGRATE, remaining(deadline)));
            if (m.status().equals("completed")) {
                return;
            }
            if (m.done()) {
                throw new BangerException(ErrorCode.HOST_FAILURE, "QEMU's migration " + m.status() + " while " + what
                        + (m.error().isEmpty() ? "" : ": " + m.error()));
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.CANCELLED, "interrupted while " + what);
            }
        }
    }

    private static Duration remaining(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new BangerException(ErrorCode.TIMED_OUT, "QEMU did not finish moving the VM's state in time");
        }
        return Duration.ofNanos(left);
    }

    private static BangerException failure(String what, Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof BangerException b) {
            return b;
        }
        if (e instanceof TimeoutException) {
            return new BangerException(ErrorCode.TIMED_OUT, "QEMU did not finish " + what + " in time");
        }
        return new BangerException(ErrorCode.HOST_FAILURE, what + " failed: " + cause.getMessage(), cause);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a stale socket is replaced at the next save
        }
    }
}
