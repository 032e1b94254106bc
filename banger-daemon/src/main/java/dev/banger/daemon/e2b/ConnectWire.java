package dev.banger.daemon.e2b;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The Connect protocol's framing for streams ({@code application/connect+json}): each message is an envelope of a flags
 * byte, a big-endian 32-bit length and the JSON; the last one carries flag {@link #END_STREAM} and the error, if any.
 * Unary calls are plain JSON bodies and need none of this.
 */
final class ConnectWire {
    static final String STREAM_TYPE = "application/connect+json";
    static final String UNARY_TYPE = "application/json";
    static final int COMPRESSED = 0x01;
    static final int END_STREAM = 0x02;

    private ConnectWire() {
    }

    /** One envelope around {@code json}. */
    static ByteBuffer envelope(int flags, byte[] json) {
        ByteBuffer b = ByteBuffer.allocate(5 + json.length);
        b.put((byte) flags).putInt(json.length).put(json).flip();
        return b;
    }

    /**
     * The first envelope's message from a stream request (a server-streaming call has exactly one), at most {@code max}
     * bytes. A compressed one is refused: the SDK does not compress, and no encoding was offered.
     */
    static byte[] readMessage(InputStream in, int max) throws IOException {
        byte[] head = in.readNBytes(5);
        if (head.length < 5) {
            throw head.length == 0 ? new EOFException("the request has no message") : new EOFException("the request's envelope is cut short");
        }
        if ((head[0] & COMPRESSED) != 0) {
            throw EnvdError.invalid("compressed messages are not accepted (no Connect-Content-Encoding was offered)");
        }
        long length = ByteBuffer.wrap(head, 1, 4).getInt() & 0xffffffffL;
        if (length > max) {
            throw new EnvdError("resource_exhausted", "the request message is " + length + " bytes; at most " + max);
        }
        byte[] message = in.readNBytes((int) length);
        if (message.length < length) {
            throw new EOFException("the request message is cut short");
        }
        return message;
    }
}
