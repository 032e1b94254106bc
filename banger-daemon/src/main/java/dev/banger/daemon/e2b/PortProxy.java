package dev.banger.daemon.e2b;

import dev.banger.api.BangerException;
import dev.banger.daemon.publish.GuestConnection;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The SDK's {@code getHost(PORT)}: a request whose Host is {@code PORT-ID.DOMAIN} is proxied to port PORT of sandbox ID's
 * guest, reached as published ports are ({@link GuestConnection}: over the bridge, else through the agent). One
 * HTTP/1.1 request per guest connection ({@code Connection: close}), the same method, path, query and end-to-end
 * headers, plus {@code X-Forwarded-For/-Host/-Proto}. Both bodies stream as they come, never held whole. The guest's
 * response head is bounded ({@value #MAX_HEAD} bytes, {@value #MAX_HEADERS} fields); so are chunk size lines.
 * <p>
 * A failure before the response has begun is an {@link E2bError} the handler answers in E2B's shape (502: no such
 * sandbox, a paused one, nothing answering on the port); after that the connection is cut, as any proxy does.
 */
final class PortProxy {
    private static final Logger LOG = Logger.getLogger(PortProxy.class.getName());
    static final int MAX_HEAD = 64 * 1024;
    static final int MAX_HEADERS = 100;
    private static final int MAX_CHUNK_LINE = 1024;
    private static final int BUFFER = 16 * 1024;
    /** RFC 9110 7.6.1's hop-by-hop fields, and ours to set: never passed through either way. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "content-length", "host", "x-forwarded-for",
            "x-forwarded-host", "x-forwarded-proto");

    private final Sandboxes sandboxes;

    PortProxy(Sandboxes sandboxes) {
        this.sandboxes = sandboxes;
    }

    /** Proxies {@code request} to the sandbox's port; throws E2bError (nothing written yet) when it cannot be reached. */
    void proxy(E2bRoutes.Port route, Request request, Response response, Callback callback) {
        GuestConnection guest;
        try {
            guest = sandboxes.openPort(route.sandboxId(), route.port());
        } catch (BangerException | java.io.UncheckedIOException e) {
            throw new E2bError(502, "cannot reach port " + route.port() + " of sandbox " + route.sandboxId() + ": " + e.getMessage());
        }
        Thread upload = null;
        boolean committed = false;
        try (guest) {
            OutputStream toGuest = new BufferedOutputStream(guest.output(), BUFFER);
            toGuest.write(requestHead(request).getBytes(StandardCharsets.ISO_8859_1));
            long length = request.getLength();
            boolean chunked = length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
            if (length > 0 || chunked) {
                upload = Thread.ofVirtual().name("e2b-port-up").start(() -> upload(request, toGuest, chunked));
            } else {
                toGuest.flush();
            }
            InputStream fromGuest = new BufferedInputStream(guest.input(), BUFFER);
            Head head;
            do {
                head = readHead(fromGuest);
            } while (head != null && head.status() >= 100 && head.status() < 200); // interim answers (100 Continue) are ours
            if (head == null) {
                throw new E2bError(502, "nothing answered on port " + route.port() + " of sandbox " + route.sandboxId()
                        + (guest.refused() ? ": nothing listens there" : ": the connection ended before a response") + "; is the service up?");
            }
            response.setStatus(head.status());
            long bodyLength = -1;
            boolean bodyChunked = false;
            Set<String> named = connectionTokens(head.fields());
            for (String[] f : head.fields()) {
                String name = f[0].toLowerCase(Locale.ROOT);
                if (name.equals("content-length")) {
                    bodyLength = parseLength(f[1]);
                } else if (name.equals("transfer-encoding")) {
                    bodyChunked = f[1].toLowerCase(Locale.ROOT).contains("chunked");
                }
                if (name.equals("date") || name.equals("server")) {
                    response.getHeaders().put(f[0], f[1]); // in place of the listener's own
                } else if (!HOP_BY_HOP.contains(name) && !named.contains(name)) {
                    response.getHeaders().add(f[0], f[1]);
                }
            }
            boolean noBody = request.getMethod().equals("HEAD") || head.status() == 204 || head.status() == 304;
            if (!bodyChunked && bodyLength >= 0) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bodyLength);
            }
            committed = true;
            try (OutputStream toClient = Content.Sink.asOutputStream(response)) {
                if (!noBody) {
                    InputStream body = bodyChunked ? new Dechunk(fromGuest) : bodyLength >= 0 ? bounded(fromGuest, bodyLength) : fromGuest;
                    body.transferTo(toClient);
                }
            }
            callback.succeeded();
        } catch (E2bError e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (!committed) {
                throw new E2bError(502, "port " + route.port() + " of sandbox " + route.sandboxId() + ": " + e.getMessage());
            }
            LOG.fine("e2b: proxying to port " + route.port() + " of " + route.sandboxId() + " cut: " + e);
            callback.failed(e);
        } finally {
            if (upload != null) {
                upload.interrupt();
            }
        }
    }

    /** The request line and fields for the guest: the client's end-to-end fields, the forwarding ones, one request only. */
    static String requestHead(Request request) {
        StringBuilder b = new StringBuilder();
        String target = request.getHttpURI().getPathQuery();
        b.append(request.getMethod()).append(' ').append(target == null || target.isEmpty() ? "/" : target).append(" HTTP/1.1\r\n");
        String host = request.getHeaders().get(HttpHeader.HOST);
        Set<String> named = new HashSet<>();
        for (String v : request.getHeaders().getValuesList(HttpHeader.CONNECTION)) {
            for (String t : v.split(",")) {
                named.add(t.strip().toLowerCase(Locale.ROOT));
            }
        }
        if (host != null) {
            b.append("Host: ").append(host).append("\r\n");
        }
        for (HttpField f : request.getHeaders()) {
            String name = f.getName().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(name) && !named.contains(name)) {
                b.append(f.getName()).append(": ").append(f.getValue()).append("\r\n");
            }
        }
        String previous = request.getHeaders().get("X-Forwarded-For");
        String client = Request.getRemoteAddr(request);
        b.append("X-Forwarded-For: ").append(previous == null ? client : previous + ", " + client).append("\r\n");
        if (host != null) {
            b.append("X-Forwarded-Host: ").append(host).append("\r\n");
        }
        b.append("X-Forwarded-Proto: ").append(request.isSecure() ? "https" : "http").append("\r\n");
        long length = request.getLength();
        if (length >= 0) {
            b.append("Content-Length: ").append(length).append("\r\n");
        } else if (request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
            b.append("Transfer-Encoding: chunked\r\n");
        }
        return b.append("Connection: close\r\n\r\n").toString();
    }

    /** The client's body to the guest as it arrives: as is with its length, else chunked. */
    private static void upload(Request request, OutputStream toGuest, boolean chunked) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (chunked) {
                    toGuest.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                toGuest.write(buf, 0, n);
                if (chunked) {
                    toGuest.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                toGuest.flush();
            }
            if (chunked) {
                toGuest.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            toGuest.flush();
        } catch (IOException e) {
            LOG.fine("e2b: a request body to a sandbox port ended early: " + e);
        }
    }

    record Head(int status, List<String[]> fields) {
    }

    /** The response head: status line and fields, at most {@value #MAX_HEAD} bytes; null at a clean end before any byte. */
    static Head readHead(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        int c;
        int newlines = 0;
        while ((c = in.read()) >= 0) {
            raw.write(c);
            if (raw.size() > MAX_HEAD) {
                throw new IOException("the guest's response head is over " + MAX_HEAD + " bytes");
            }
            if (c == '\n') {
                if (++newlines == 2) {
                    break;
                }
            } else if (c != '\r') {
                newlines = 0;
            }
        }
        if (raw.size() == 0) {
            return null;
        }
        if (c < 0) {
            throw new EOFException("the guest's response ended inside its head");
        }
        List<String> lines = raw.toString(StandardCharsets.ISO_8859_1).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        String[] status = lines.getFirst().split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.") || !status[1].matches("[1-5][0-9][0-9]")) {
            throw new IOException("not an HTTP/1 response from the guest: " + dev.banger.core.Text.printable(lines.getFirst(), 80));
        }
        if (lines.size() - 1 > MAX_HEADERS) {
            throw new IOException("the guest's response has over " + MAX_HEADERS + " fields");
        }
        List<String[]> fields = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("a malformed field in the guest's response: " + dev.banger.core.Text.printable(line, 80));
            }
            fields.add(new String[] {line.substring(0, colon).strip(), line.substring(colon + 1).strip()});
        }
        return new Head(Integer.parseInt(status[1]), fields);
    }

    private static Set<String> connectionTokens(List<String[]> fields) {
        Set<String> named = new HashSet<>();
        for (String[] f : fields) {
            if (f[0].equalsIgnoreCase("connection")) {
                for (String t : f[1].split(",")) {
                    named.add(t.strip().toLowerCase(Locale.ROOT));
                }
            }
        }
        return named;
    }

    private static long parseLength(String v) throws IOException {
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IOException("a bad Content-Length from the guest: " + dev.banger.core.Text.printable(v, 40));
        }
    }

    /** An input read in blocks; a single byte is a block of one. */
    private abstract static class BulkInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** Exactly {@code length} bytes of {@code in}; an earlier end is an error (the client must not take a short body as whole). */
    private static InputStream bounded(InputStream in, long length) {
        return new BulkInput() {
            private long left = length;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n < 0) {
                    throw new EOFException("the guest's response ended " + left + " bytes short of its Content-Length");
                }
                left -= n;
                return n;
            }
        };
    }

    /** A chunked body, decoded (Jetty frames it again for the client); trailers are read and dropped. */
    static final class Dechunk extends BulkInput {
        private final InputStream in;
        private long left;
        private boolean done;

        Dechunk(InputStream in) {
            this.in = in;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String line = line();
                int semi = line.indexOf(';');
                try {
                    left = Long.parseLong((semi >= 0 ? line.substring(0, semi) : line).strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("a bad chunk size from the guest: " + dev.banger.core.Text.printable(line, 40));
                }
                if (left < 0) {
                    throw new IOException("a bad chunk size from the guest");
                }
                if (left == 0) {
                    while (!line().isEmpty()) {
                        // trailers: dropped
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("the guest's chunked response ended inside a chunk");
            }
            left -= n;
            if (left == 0) {
                line(); // the CRLF after the chunk
            }
            return n;
        }

        private String line() throws IOException {
            StringBuilder s = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (s.length() >= MAX_CHUNK_LINE) {
                    throw new IOException("a chunk line from the guest is over " + MAX_CHUNK_LINE + " bytes");
                }
                if (c != '\r') {
                    s.append((char) c);
                }
            }
            if (c < 0) {
                throw new EOFException("the guest's chunked response ended early");
            }
            return s.toString();
        }
    }
}
