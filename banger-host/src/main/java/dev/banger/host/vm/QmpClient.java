package dev.banger.host.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.core.vm.QmpMessages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A QMP connection to one QEMU: connect, read the greeting, negotiate capabilities, then one command at
 * a time. Every wait has a deadline, so a hung QEMU never hangs the caller. Commands carry an id and
 * only the reply with that id answers them: events (and a late reply to an earlier command that timed
 * out) are skipped; events are kept, the last {@link #MAX_EVENTS}, for {@link #events()}. Lines are
 * bounded ({@link QmpMessages#MAX_LINE_BYTES}); a longer one ends the connection, since its framing can
 * no longer be trusted.
 *
 * <p>QEMU serves one QMP client at a time: a second connection is accepted by the kernel but gets no
 * greeting until the first closes. Hence short-lived connections (connect, command, close) and the
 * greeting's own deadline.
 */
public final class QmpClient implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_EVENTS = 256;
    private static final int READ_CHUNK = 16 * 1024;

    /** QEMU answered a command with an error. */
    public static final class CommandFailed extends BangerException {
        private final String errorClass;

        CommandFailed(String command, String errorClass, String description, Path socket) {
            super(ErrorCode.HOST_FAILURE, "QEMU refused " + command + " on " + socket + ": " + errorClass + ": " + description);
            this.errorClass = errorClass;
        }

        /** QMP's error class: GenericError, CommandNotFound, DeviceNotActive, ... */
        public String errorClass() {
            return errorClass;
        }
    }

    private final Path socket;
    private final Duration timeout;
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_CHUNK);
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final Deque<QmpMessages.Event> events = new ArrayDeque<>();
    private String qemuVersion = "unknown";
    private long nextId = 1;
    private boolean broken;

    private QmpClient(Path socket, Duration timeout, SocketChannel channel, Selector selector) {
        this.socket = socket;
        this.timeout = timeout;
        this.channel = channel;
        this.selector = selector;
        readBuffer.flip(); // empty, ready to be drained
    }

    /**
     * Connects, reads the greeting and negotiates capabilities, all within {@code timeout}; each later
     * command gets {@code timeout} too.
     */
    public static QmpClient connect(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!Files.exists(socket)) {
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "QMP socket " + socket
                    + " does not exist: the VM's QEMU is not running (or has not started listening yet)");
        }
        SocketChannel ch = null;
        Selector sel = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.configureBlocking(false);
            sel = Selector.open();
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                ch.register(sel, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    if (sel.select(remainingMillis(deadline, "connect", socket)) == 0) {
                        continue;
                    }
                    sel.selectedKeys().clear();
                }
            }
            ch.register(sel, SelectionKey.OP_READ);
        } catch (IOException e) {
            closeQuietly(ch, sel);
            throw new BangerException(ErrorCode.FAILED_PRECONDITION, "cannot connect to QMP socket " + socket + ": "
                    + e.getMessage() + " (its QEMU has probably exited; a stale socket file is left)", e);
        } catch (RuntimeException e) {
            closeQuietly(ch, sel);
            throw e;
        }
        QmpClient c = new QmpClient(socket, timeout, ch, sel);
        try {
            c.readGreeting(deadline);
            c.execute(QmpMessages.QMP_CAPABILITIES, deadline);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public static QmpClient connect(Path socket) {
        return connect(socket, DEFAULT_TIMEOUT);
    }

    /** The VM's run state: "running", "paused", "shutdown", ... */
    public synchronized QmpMessages.Status status() {
        return QmpMessages.status(execute(QmpMessages.QUERY_STATUS, timeout));
    }

    /** Presses the ACPI power button: a request the guest may take its time over, or ignore. */
    public synchronized void powerdown() {
        execute(QmpMessages.SYSTEM_POWERDOWN, timeout);
    }

    /**
     * Ends QEMU at once (the guest gets no chance to sync). QEMU may close the connection before its
     * reply arrives: that counts as done.
     */
    public synchronized void quit() {
        try {
            execute(QmpMessages.QUIT, timeout);
        } catch (ConnectionClosed e) {
            // QEMU exited first: exactly what was asked
        }
    }

    /** Runs a command without arguments and returns its {@code return} value. */
    public synchronized JsonNode execute(String command, Duration timeout) {
        return execute(command, Map.of(), System.nanoTime() + timeout.toNanos());
    }

    /** Runs a command with string arguments and returns its {@code return} value. */
    public synchronized JsonNode execute(String command, Map<String, String> arguments, Duration timeout) {
        return execute(command, arguments, System.nanoTime() + timeout.toNanos());
    }

    /** The events received so far on this connection, oldest first (at most {@link #MAX_EVENTS}). */
    public synchronized List<QmpMessages.Event> events() {
        return List.copyOf(events);
    }

    /** QEMU's version from the greeting ("7.2.22"). */
    public String qemuVersion() {
        return qemuVersion;
    }

    @Override
    public synchronized void close() {
        closeQuietly(channel, selector);
    }

    private JsonNode execute(String command, long deadline) {
        return execute(command, Map.of(), deadline);
    }

    private JsonNode execute(String command, Map<String, String> arguments, long deadline) {
        if (broken) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "the QMP connection to " + socket + " is no longer usable "
                    + "(an earlier read failed): connect again");
        }
        long id = nextId++;
        write(QmpMessages.command(command, arguments, id), deadline, command);
        while (true) {
            QmpMessages.Message m = readMessage(deadline, command);
            switch (m) {
                case QmpMessages.Return r when r.id().isPresent() && r.id().getAsLong() == id -> {
                    return r.value();
                }
                case QmpMessages.Error e when e.id().isPresent() && e.id().getAsLong() == id ->
                        throw new CommandFailed(command, e.errorClass(), e.description(), socket);
                case QmpMessages.Event e -> keep(e);
                default -> {
                    // a reply to an earlier command that timed out, or a shape we do not know: not ours
                }
            }
        }
    }

    private void readGreeting(long deadline) {
        while (true) {
            QmpMessages.Message m = readMessage(deadline, "the greeting");
            if (m instanceof QmpMessages.Greeting g) {
                qemuVersion = g.version();
                return;
            }
            if (m instanceof QmpMessages.Event e) {
                keep(e);
            } else {
                broken = true;
                throw new BangerException(ErrorCode.HOST_FAILURE, "QMP socket " + socket + " did not greet like QEMU: got "
                        + m + " first");
            }
        }
    }

    private void keep(QmpMessages.Event e) {
        if (events.size() == MAX_EVENTS) {
            events.removeFirst();
        }
        events.addLast(e);
    }

    private void write(byte[] bytes, long deadline, String what) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            while (b.hasRemaining()) {
                if (channel.write(b) == 0) {
                    // The socket buffer is full (QEMU is not reading): wait briefly, within the deadline.
                    remainingMillis(deadline, what, socket);
                    Thread.sleep(5);
                }
            }
        } catch (IOException e) {
            broken = true;
            throw new ConnectionClosed("cannot send " + what + " to QEMU on " + socket + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broken = true;
            throw new BangerException(ErrorCode.CANCELLED, "interrupted while sending " + what + " to QEMU");
        }
    }

    /** The next complete line, parsed; blank lines skipped. */
    private QmpMessages.Message readMessage(long deadline, String waitingFor) {
        while (true) {
            byte[] line = nextLine(deadline, waitingFor);
            if (line.length > 0) {
                try {
                    return QmpMessages.parse(line);
                } catch (BangerException e) {
                    broken = true;
                    throw e;
                }
            }
        }
    }

    private byte[] nextLine(long deadline, String waitingFor) {
        while (true) {
            while (readBuffer.hasRemaining()) {
                byte b = readBuffer.get();
                if (b == '\n') {
                    byte[] line = partial.toByteArray();
                    partial.reset();
                    int len = line.length;
                    if (len > 0 && line[len - 1] == '\r') {
                        len--;
                    }
                    return len == line.length ? line : java.util.Arrays.copyOf(line, len);
                }
                if (partial.size() >= QmpMessages.MAX_LINE_BYTES) {
                    broken = true;
                    throw new BangerException(ErrorCode.HOST_FAILURE, "QEMU sent a QMP line over " + QmpMessages.MAX_LINE_BYTES
                            + " bytes on " + socket + ": connection dropped");
                }
                partial.write(b);
            }
            fill(deadline, waitingFor);
        }
    }

    private void fill(long deadline, String waitingFor) {
        int n;
        readBuffer.clear();
        try {
            while ((n = channel.read(readBuffer)) == 0) {
                selector.select(remainingMillis(deadline, waitingFor, socket));
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            broken = true;
            throw new ConnectionClosed("reading from QMP socket " + socket + " failed: " + e.getMessage());
        } finally {
            // Whatever happened (a timeout included), the buffer holds exactly the bytes read: none are
            // lost and no stale ones are replayed on the next call.
            readBuffer.flip();
        }
        if (n < 0) {
            broken = true;
            throw new ConnectionClosed("QEMU closed the QMP connection on " + socket + " while banger waited for "
                    + waitingFor + " (QEMU exited, or another client holds the socket)");
        }
    }

    /** Milliseconds left (at least 1, since select(0) waits forever); throws once the deadline passed. */
    private static long remainingMillis(long deadline, String waitingFor, Path socket) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimedOut("QEMU did not answer " + waitingFor + " on " + socket + " in time: it may be hung, or "
                    + "another client holds its QMP socket (QEMU serves one at a time)");
        }
        return Math.max(1, Duration.ofNanos(left).toMillis());
    }

    private static void closeQuietly(SocketChannel ch, Selector sel) {
        try {
            if (sel != null) {
                sel.close();
            }
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
        try {
            if (ch != null) {
                ch.close();
            }
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
    }

    /** The peer went away (QEMU exited, or closed the connection). */
    public static final class ConnectionClosed extends BangerException {
        ConnectionClosed(String message) {
            super(ErrorCode.HOST_FAILURE, message);
        }
    }

    /** No answer before the deadline. */
    public static final class TimedOut extends BangerException {
        TimedOut(String message) {
            super(ErrorCode.HOST_FAILURE, message);
        }
    }
}
