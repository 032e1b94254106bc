package dev.banger.daemon.rpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads newline-terminated lines from a channel with a hard cap on line length, so a client cannot make
 * the daemon buffer an unbounded request. It says when a line begins (its first byte arrives), so that
 * the server can start the clock on it.
 */
final class LineReader {
    /** Thrown when a line grows past the limit before its newline arrives. */
    static final class LineTooLongException extends IOException {
        LineTooLongException(int limit) {
            super("request larger than " + limit + " bytes");
        }
    }

    private final ReadableByteChannel channel;
    private final int maxLineBytes;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final Runnable onLineStart;

    /** @param onLineStart run when the first byte of a line (other than its newline) is read */
    LineReader(ReadableByteChannel channel, int maxLineBytes, Runnable onLineStart) {
        this.channel = channel;
        this.maxLineBytes = maxLineBytes;
        this.onLineStart = onLineStart;
        buffer.flip(); // start empty, in read mode
    }

    /** What was read past the last line returned (a client that did not wait for its response). */
    byte[] buffered() {
        byte[] rest = new byte[buffer.remaining()];
        buffer.get(rest);
        return rest;
    }

    /** @return the next line without its newline (bytes, to be decoded by the caller), or null at end of stream */
    byte[] next() throws IOException {
        while (true) {
            while (buffer.hasRemaining()) {
                byte b = buffer.get();
                if (b == '\n') {
                    byte[] out = line.toByteArray();
                    line.reset();
                    return out;
                }
                if (line.size() == 0) {
                    onLineStart.run();
                }
                if (line.size() >= maxLineBytes) {
                    throw new LineTooLongException(maxLineBytes);
                }
                line.write(b);
            }
            buffer.clear();
            int n = channel.read(buffer);
            buffer.flip();
            if (n < 0) {
                // A client that disconnects mid-request has its partial line dropped: there is nobody to answer.
                return null;
            }
        }
    }
}
