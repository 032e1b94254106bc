package dev.banger.daemon.e2b;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.daemon.agent.GuestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * envd's HTTP {@code /files}: GET streams a guest file down, POST writes one or more up, both as a guest user through the
 * agent ({@link GuestFiles#read}, {@link GuestFiles#write}), in constant memory. An {@code application/octet-stream} body
 * (gzip allowed) goes straight to the guest; a multipart form (what the SDK sends for in-memory data) is parsed by Jetty,
 * its large parts spooled to a root-only directory and deleted after.
 */
final class FilesHttp {
    /** A form's parts are held in memory up to this size each, on disk beyond it. */
    private static final long IN_MEMORY_PART = 1 << 20;
    private static final long MAX_PART = 16L << 30;
    private static final int MAX_PARTS = 1000;

    private final GuestFiles files;
    private final Path spool;

    FilesHttp(GuestFiles files, Path spool) {
        this.files = files;
        this.spool = spool;
    }

    /** GET: the file's bytes, its length announced. A file cut short in the guest aborts the response (never a short 200). */
    void download(Request request, Response response, EnvdScope scope, String path) throws IOException {
        try (GuestFiles.Reading reading = files.read(scope.vm(), scope.user(), path)) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reading.size());
            String name = path.substring(path.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
            response.getHeaders().put(HttpHeader.CONTENT_DISPOSITION, "attachment; filename=\"" + name + "\"");
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                reading.content().transferTo(out);
            }
        }
    }

    /** POST: writes the body's file(s); E2B's answer, the list of what was written. */
    ArrayNode upload(Request request, EnvdScope scope, String path) throws IOException {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        ArrayNode written = JsonNodeFactory.instance.arrayNode();
        if (type != null && type.toLowerCase().startsWith("multipart/form-data")) {
            try (MultiPartFormData.Parts parts = parts(request, type)) {
                List<MultiPart.Part> fileParts = new ArrayList<>(parts.getAll("file"));
                if (fileParts.isEmpty()) {
                    throw EnvdError.invalid("the form has no 'file' part");
                }
                if (path != null && fileParts.size() > 1) {
                    throw EnvdError.invalid("a path names one file; to write several, name each by its part's file name");
                }
                for (MultiPart.Part part : fileParts) {
                    String target = path != null ? path : scope.path(part.getFileName());
                    try (InputStream in = Content.Source.asInputStream(part.getContentSource())) {
                        written.add(info(files.write(scope.vm(), scope.user(), target, in)));
                    }
                }
            }
        } else {
            if (path == null) {
                throw EnvdError.invalid("path is required for an application/octet-stream upload");
            }
            String encoding = request.getHeaders().get(HttpHeader.CONTENT_ENCODING);
            try (InputStream body = Content.Source.asInputStream(request);
                 InputStream in = "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(body) : body) {
                if (encoding != null && !encoding.equalsIgnoreCase("gzip") && !encoding.equalsIgnoreCase("identity")) {
                    throw EnvdError.invalid("Content-Encoding " + encoding + " is not supported (gzip is)");
                }
                written.add(info(files.write(scope.vm(), scope.user(), path, in)));
            }
        }
        return written;
    }

    private MultiPartFormData.Parts parts(Request request, String type) throws IOException {
        String boundary = MultiPart.extractBoundary(type);
        if (boundary == null) {
            throw EnvdError.invalid("the multipart form has no boundary");
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.setFilesDirectory(spool);
        parser.setMaxMemoryFileSize(IN_MEMORY_PART);
        parser.setMaxFileSize(MAX_PART);
        parser.setMaxParts(MAX_PARTS);
        try {
            return parser.parse(request).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the form", e);
        } catch (ExecutionException e) {
            throw EnvdError.invalid("the multipart form cannot be read: " + e.getCause().getMessage());
        }
    }

    /** envd's EntryInfo of the upload answer: path, name and type only. */
    private static ObjectNode info(GuestFiles.Entry e) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("path", e.path());
        n.put("name", e.name());
        n.put("type", e.type() == GuestFiles.Type.DIR ? "directory" : "file");
        return n;
    }
}
