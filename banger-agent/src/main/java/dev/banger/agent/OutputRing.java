package dev.banger.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The recent output of a detached process, one stream of it (stdout or stderr): the last {@code capacity}
 * bytes, older ones dropped (and counted). Positions are absolute (bytes written since the start), so each
 * reader keeps its own and learns what it missed. The bytes live in a file the ring owns (on the guest's
 * disk, not the agent's 16 MiB heap: 64 processes of 2 x 256 KiB would not fit there), written in place as
 * it wraps; only what was written takes space.
 */
final class OutputRing implements AutoCloseable {
    /** What one read gave: {@code length} bytes from {@code from}, {@code dropped} bytes lost before them. */
    record Chunk(long from, int length, long dropped, boolean ended) {
        long next() {
            return from + length;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final int capacity;
    private long written;
    private boolean ended;

    OutputRing(Path file, int capacity) throws IOException {
        this.file = file;
        this.capacity = capacity;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** Appends {@code len} bytes (only the last {@code capacity} of them when more); ignored once {@link #end}ed. */
    synchronized void append(byte[] b, int off, int len) throws IOException {
        if (ended || len <= 0) {
            return;
        }
        int skip = Math.max(0, len - capacity);
        written += skip;
        int at = off + skip;
        int left = len - skip;
        while (left > 0) {
            int pos = (int) (written % capacity);
            int n = Math.min(left, capacity - pos);
            ByteBuffer src = ByteBuffer.wrap(b, at, n);
            while (src.hasRemaining()) {
                channel.write(src, pos + src.position() - at);
            }
            written += n;
            at += n;
            left -= n;
        }
        notifyAll();
    }

    /** No more output will come (the process exited and its pipes were drained). */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    synchronized long written() {
        return written;
    }

    /** Bytes lost so far: written but no longer held. */
    synchronized long dropped() {
        return Math.max(0, written - capacity);
    }

    /**
     * Up to {@code into.length} bytes from position {@code from} (or from the oldest byte held, if those were
     * dropped), waiting up to {@code waitMillis} for some to arrive. An empty chunk that is {@code ended}
     * means the reader has everything.
     */
    synchronized Chunk read(long from, byte[] into, long waitMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (from >= written && !ended) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return new Chunk(from, 0, 0, false);
            }
            wait(Math.max(1, left / 1_000_000));
        }
        long oldest = Math.max(0, written - capacity);
        long dropped = Math.max(0, oldest - from);
        long start = Math.max(from, oldest);
        int pos = (int) (start % capacity);
        int n = (int) Math.min(Math.min(into.length, written - start), capacity - pos);
        ByteBuffer dst = ByteBuffer.wrap(into, 0, n);
        while (dst.hasRemaining()) {
            if (channel.read(dst, pos + dst.position()) < 0) {
                throw new IOException("the output file " + file + " is shorter than what was written to it");
            }
        }
        return new Chunk(start, n, dropped, ended && start + n >= written);
    }

    @Override
    public synchronized void close() {
        ended = true;
        notifyAll();
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the file goes with the agent's next start
        }
    }
}
