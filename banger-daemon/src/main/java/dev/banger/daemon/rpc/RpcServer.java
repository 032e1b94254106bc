package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;
import dev.banger.api.Json;
import dev.banger.api.Params;
import dev.banger.api.RpcError;
import dev.banger.api.RpcRequest;
import dev.banger.api.Rpcs;
import dev.banger.api.RpcResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Serves JSON-RPC 2.0 over the daemon's Unix socket: one JSON object per line, each connection on its own
 * virtual thread, so a slow, idle or dead client only ever holds its own thread. What a client may hold
 * is bounded by {@link RpcLimits}: connections per user ({@link ConnectionQuota}, with a reserve for
 * root) and time between and within requests ({@link ConnectionDeadline}, enforced by one
 * {@link ConnectionReaper}). A client that is refused or cut off is told why in a JSON-RPC error line
 * before its connection is closed.
 */
public final class RpcServer {
    private static final Logger LOG = Logger.getLogger(RpcServer.class.getName());

    private final ServerSocketChannel server;
    private final RpcDispatcher dispatcher;
    private final RpcLimits limits;
    private final ConnectionQuota quota;
    private final ConnectionReaper reaper;
    /** Every accepted connection until its thread ends, with its deadline (the reaper walks it). */
    private final Map<SocketChannel, ConnectionDeadline> open = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong connectionCounter = new AtomicLong();
    private volatile boolean closing;

    public RpcServer(ServerSocketChannel server, RpcDispatcher dispatcher) {
        this(server, dispatcher, RpcLimits.fromSystemProperties());
    }

    RpcServer(ServerSocketChannel server, RpcDispatcher dispatcher, RpcLimits limits) {
        this.server = server;
        this.dispatcher = dispatcher;
        this.limits = limits;
        this.quota = new ConnectionQuota(limits);
        this.reaper = new ConnectionReaper(open, limits.sweepInterval(), RpcLimits.CUT_OFF_GRACE);
    }

    public int openConnections() {
        return open.size();
    }

    /** Accepts until {@link #close}; returns then. */
    public void serve() {
        reaper.start();
        while (!closing) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "accept failed", e);
                continue;
            }
            if (open.size() >= limits.maxConnections()) {
                refuse(client, "too many connections: bangerd holds " + limits.maxConnections()
                        + ", the most it allows; close idle clients and retry");
                continue;
            }
            ConnectionDeadline deadline = new ConnectionDeadline(limits.lineTimeout(), limits.idleTimeout(), System.nanoTime());
            open.put(client, deadline);
            Thread.ofVirtual().name("rpc-" + connectionCounter.incrementAndGet()).start(() -> handle(client, deadline));
        }
    }

    /** Tells a client it gets no service, and hangs up. Its connection is new: the short line fits its buffer. */
    private static void refuse(SocketChannel client, String why) {
        try (client) {
            write(client, RpcResponse.failure(NullNode.getInstance(), RpcError.of(ErrorCode.RESOURCE_EXHAUSTED, why)));
        } catch (IOException ignored) {
            // the client is gone; nothing to tell it
        }
    }

    private void handle(SocketChannel client, ConnectionDeadline deadline) {
        try (client) {
            // On this thread, not the accepting one: naming a caller may ask NSS (getent), which may be slow.
            Caller caller = peer(client);
            try {
                quota.acquire(caller);
            } catch (BangerException refused) {
                LOG.fine(() -> "refused a connection: " + refused.getMessage());
                write(client, RpcResponse.failure(NullNode.getInstance(), RpcError.of(refused.code(), refused.getMessage())));
                return;
            }
            try {
                serveRequests(client, caller, deadline);
            } finally {
                quota.release(caller);
            }
        } catch (IOException e) {
            LOG.fine(() -> "connection ended: " + e);
        } finally {
            open.remove(client);
        }
    }

    private void serveRequests(SocketChannel client, Caller caller, ConnectionDeadline deadline) throws IOException {
        LineReader reader = new LineReader(client, limits.maxRequestBytes(), () -> deadline.lineStarted(System.nanoTime()));
        while (!closing) {
            byte[] line;
            try {
                line = reader.next();
            } catch (LineReader.LineTooLongException e) {
                // Answer, then let the caller close: the rest of that line is not worth reading.
                write(client, RpcResponse.failure(NullNode.getInstance(), RpcError.of(ErrorCode.INVALID_REQUEST,
                        "request larger than " + limits.maxRequestBytes() / 1024 / 1024 + " MiB; the connection is closed")));
                return;
            }
            if (line == null) {
                // The client hung up, or the reaper shut our input because a deadline passed: then say which.
                tellIfMissed(client, deadline);
                return;
            }
            boolean blank = isBlank(line);
            if (!(blank ? deadline.blankLine() : deadline.serving())) {
                tellIfMissed(client, deadline); // the deadline passed just as the line completed
                return;
            }
            if (blank) {
                continue;
            }
            ConnectionCall call = new ConnectionCall(client, caller);
            String response;
            inFlight.incrementAndGet();
            try {
                response = dispatch(line, call);
                if (response != null) {
                    write(client, response);
                }
            } catch (IOException | RuntimeException e) {
                call.abandonConversation();
                throw e;
            } finally {
                inFlight.decrementAndGet();
            }
            Conversation conversation = call.conversation;
            if (conversation != null && (response == null || !isSuccess(response))) {
                call.abandonConversation(); // a notification has nobody to talk to; an error ends the call
            } else if (conversation != null) {
                // The connection is the conversation's now, with no deadline, until it ends; then it closes.
                // Bytes the client sent after its request line (it should wait for the response) come first.
                conversation.run(new SequenceInputStream(new ByteArrayInputStream(reader.buffered()), Channels.newInputStream(client)),
                        Channels.newOutputStream(client));
                return;
            }
            deadline.awaitRequest(System.nanoTime());
        }
    }

    /** The error line for a client whose deadline passed (the connection is closed after it). */
    private void tellIfMissed(SocketChannel client, ConnectionDeadline deadline) throws IOException {
        ConnectionDeadline.Phase missed = deadline.missed();
        if (missed == null) {
            return;
        }
        RpcError error = switch (missed) {
            case LINE -> RpcError.of(ErrorCode.INVALID_REQUEST, "request line not complete within "
                    + RpcLimits.describe(limits.lineTimeout()) + "; the connection is closed (send each request as one line ending in a newline)");
            case IDLE -> RpcError.of(ErrorCode.RESOURCE_EXHAUSTED, "no request for " + RpcLimits.describe(limits.idleTimeout())
                    + ": bangerd closed this idle connection; connect again to send more");
        };
        write(client, RpcResponse.failure(NullNode.getInstance(), error));
    }

    /** The connection's peer as the kernel knows it; unknown (unprivileged) when it cannot be read. */
    static Caller peer(SocketChannel client) {
        try {
            UnixDomainPrincipal p = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return Caller.of(p.user().getName(), p.group().getName());
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warning("cannot read the peer credentials of a connection (" + e + "): treating it as unprivileged");
            return new Caller(Caller.UNKNOWN, Caller.UNKNOWN, "unknown");
        }
    }

    private static boolean isSuccess(String response) {
        try {
            return Json.MAPPER.readTree(response).has("result");
        } catch (IOException e) {
            return false;
        }
    }

    /** Progress for a call goes to its own connection; a failed write means the caller left. */
    private static final class ConnectionCall implements Call {
        private final SocketChannel client;
        private final Caller caller;
        private volatile boolean gone;
        private volatile Conversation conversation;

        @Override
        public void continueWith(Conversation next) {
            if (conversation != null) {
                next.abandon();
                throw new IllegalStateException("a call continues with one conversation");
            }
            conversation = next;
        }

        void abandonConversation() {
            Conversation c = conversation;
            conversation = null;
            if (c != null) {
                c.abandon();
            }
        }

        ConnectionCall(SocketChannel client, Caller caller) {
            this.client = client;
            this.caller = caller;
        }

        @Override
        public Caller caller() {
            return caller;
        }

        @Override
        public void progress(Params.Progress progress) {
            if (gone) {
                return;
            }
            try {
                write(client, Json.line(new Notification(RpcRequest.VERSION, Rpcs.PROGRESS, progress)));
            } catch (IOException e) {
                gone = true;
            }
        }

        @Override
        public boolean cancelled() {
            return gone;
        }
    }

    private record Notification(String jsonrpc, String method, Object params) {
    }

    private String dispatch(byte[] line, Call call) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            return Json.line(RpcResponse.failure(NullNode.getInstance(), RpcError.of(ErrorCode.PARSE_ERROR, "request is not valid UTF-8")));
        }
        return dispatcher.dispatch(text, call);
    }

    private static void write(SocketChannel client, RpcResponse response) throws IOException {
        write(client, Json.line(response));
    }

    private static void write(SocketChannel client, String responseLine) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((responseLine + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (client) {
            while (out.hasRemaining()) {
                client.write(out);
            }
        }
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /** Stops accepting, lets requests being answered finish (up to the grace period), then drops idle clients. */
    public void close(long graceMillis) {
        closing = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing the server socket", e);
        }
        long deadline = System.nanoTime() + graceMillis * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        reaper.stop();
        for (SocketChannel c : open.keySet()) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }
}
