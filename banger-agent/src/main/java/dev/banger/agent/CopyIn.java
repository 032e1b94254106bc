package dev.banger.agent;

import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import dev.banger.channel.copy.CopyRefusal;
import dev.banger.channel.copy.CopySummary;
import dev.banger.channel.copy.CopyTarget;
import dev.banger.channel.copy.Extractor;
import dev.banger.channel.copy.PeerFailure;
import dev.banger.channel.copy.TarReader;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code copy_in}: files from the host written at {@code path} in the guest. The destination is resolved first
 * and answered with a status line (so a missing directory is said before any data moves); then the host's
 * archive is extracted as it arrives ({@link Extractor}: the same rules as the host's, every file checked
 * against its CRC-32C before it takes its name, all mode bits kept), and the last line says what was written
 * or why the copy stopped. Streamed: a buffer and a file open at a time, whatever the size.
 */
final class CopyIn {
    private final Stream stream;
    private final Request request;

    CopyIn(Stream stream, Request request) {
        this.stream = stream;
        this.request = request;
    }

    void run() throws IOException {
        CopyTarget target;
        try {
            target = CopyTarget.resolve(CopyOut.guestPath(request));
        } catch (CopyRefusal e) {
            CopyOut.finish(stream, Service.error(e.getMessage()));
            return;
        }
        CopyOut.line(stream, Map.of("ok", true));
        Map<String, Object> last;
        try {
            CopySummary s = new Extractor(target, Extractor.ALL_MODE_BITS).extract(new TarReader(stream.input()));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("files", s.files());
            r.put("directories", s.directories());
            r.put("symlinks", s.symlinks());
            r.put("bytes", s.bytes());
            last = Service.ok(r);
        } catch (PeerFailure e) {
            last = Service.error("the host stopped the copy: " + e.getMessage());
        } catch (IOException e) {
            last = Service.error(e.getMessage());
        }
        try {
            CopyOut.finish(stream, last);
        } catch (IOException e) {
            stream.close(StreamEnd.FAILED, "the host went away");
        }
    }
}
