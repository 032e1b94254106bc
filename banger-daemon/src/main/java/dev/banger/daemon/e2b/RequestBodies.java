package dev.banger.daemon.e2b;

import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * What is left of a request's body, read and dropped before an early answer (up to a bound). A server that answers
 * while the client is still sending, then closes, leaves the client a reset connection instead of the answer; and a
 * kept-alive connection whose body was never read is closed under the client's next request.
 */
final class RequestBodies {
    private RequestBodies() {
    }

    static void drain(Request request, long max) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] sink = new byte[64 * 1024];
            long left = max;
            int n;
            while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or the body was read already: the answer is still worth trying
        }
    }
}
