package dev.banger.core.task;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a client's view of one output stream of a task stands (stdout or stderr), so that it can ask for the output
 * from a byte position: the agent replays what it keeps (its last 256 KiB) and says, in a notice, how many bytes it
 * no longer had; this cursor follows the absolute position through both, drops what lies before the client's offset
 * and reports when the client must skip ahead (bytes it asked for are gone). Pure: the caller moves the bytes.
 */
public final class TaskOutput {
    /** The agent's notice of dropped output: "N bytes of its stdout were dropped before they could be read ...". */
    private static final Pattern DROPPED = Pattern.compile("^([0-9]{1,18}) bytes of its (stdout|stderr) were dropped");

    /** What to do with one chunk: send {@code length} bytes from {@code skip} into it; {@code jumpTo} >= 0: tell the client it is there first. */
    public record Slice(int skip, int length, long jumpTo) {
    }

    /** A notice of dropped output, read: which stream, how many bytes. */
    public record Dropped(boolean stdout, long bytes) {
    }

    private final long wanted;
    private long position;
    private long clientAt;

    /** {@code offset}: the first byte the client wants. */
    public TaskOutput(long offset) {
        this.wanted = offset;
        this.clientAt = offset;
    }

    /** The absolute position of the next byte the agent sends. */
    public long position() {
        return position;
    }

    /** The agent skipped {@code bytes} it no longer keeps. */
    public void dropped(long bytes) {
        if (bytes > 0 && Long.MAX_VALUE - position > bytes) {
            position += bytes;
        }
    }

    /** A chunk of {@code length} bytes at the current position: which part goes to the client, and whether it must jump first. */
    public Slice chunk(int length) {
        long start = position;
        position += length;
        long from = Math.max(start, wanted);
        if (from >= position) {
            return new Slice(0, 0, -1);
        }
        long jump = from != clientAt ? from : -1;
        clientAt = position;
        return new Slice((int) (from - start), (int) (position - from), jump);
    }

    /** The agent's dropped-output notice, or null when {@code notice} is another. */
    public static Dropped dropped(byte[] notice) {
        String text = new String(notice, 0, Math.min(notice.length, 80), StandardCharsets.UTF_8);
        Matcher m = DROPPED.matcher(text);
        return m.find() ? new Dropped(m.group(2).equals("stdout"), Long.parseLong(m.group(1))) : null;
    }
}
