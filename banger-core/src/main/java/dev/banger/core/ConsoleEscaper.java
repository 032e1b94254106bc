package dev.banger.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A guest's console bytes as text a terminal shows and never obeys, fed chunk by chunk (a log that is
 * being followed). Lines and tabs are kept and UTF-8 text reads as itself; every control character
 * {@link Text#isControl} names is written as a visible escape, so an escape sequence (OSC 52 clipboard
 * writes, title changes, screen clears, cursor moves) shows as text such as {@code \e]52;c;...\a}:
 * <ul>
 *   <li>ESC {@code \e}, BEL {@code \a}, BS {@code \b}, VT {@code \v}, FF {@code \f}, a CR that does not end a
 *       line {@code \r}, other C0 controls and DEL {@code \xNN};</li>
 *   <li>C1 controls (U+0080..U+009F, e.g. the one-character CSI U+009B) {@code \u009b};</li>
 *   <li>bytes that are not UTF-8 {@code \xNN}.</li>
 * </ul>
 * CRs before a newline (a serial console ends lines with CR LF) are dropped. The escapes are for reading,
 * not for turning back into the bytes: a backslash in the log is left as it is.
 */
public final class ConsoleEscaper {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    /** The start of a UTF-8 sequence that the last chunk cut off. */
    private byte[] pending = new byte[0];
    /** CRs seen and not yet written: dropped if a newline follows, escaped otherwise. */
    private int pendingCrs;

    /** The escaped text of the next {@code length} bytes; an incomplete UTF-8 sequence at the end waits for the next chunk. */
    public String escape(byte[] bytes, int offset, int length) {
        ByteBuffer in = ByteBuffer.allocate(pending.length + length).put(pending).put(bytes, offset, length).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 2);
        StringBuilder sb = new StringBuilder(in.remaining() + 16);
        while (true) {
            CoderResult r = decoder.decode(in, out, false);
            out.flip();
            for (int i = 0; i < out.length(); ) {
                int cp = Character.codePointAt(out, i);
                append(sb, cp);
                i += Character.charCount(cp);
            }
            out.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    appendByte(sb, in.get());
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        pending = new byte[in.remaining()];
        in.get(pending);
        return sb.toString();
    }

    public String escape(byte[] bytes) {
        return escape(bytes, 0, bytes.length);
    }

    /** What is still held back at the end of the log: a cut-off UTF-8 sequence, trailing CRs. */
    public String finish() {
        StringBuilder sb = new StringBuilder();
        for (byte b : pending) {
            appendByte(sb, b);
        }
        pending = new byte[0];
        flushCrs(sb);
        decoder.reset();
        return sb.toString();
    }

    private void append(StringBuilder sb, int cp) {
        if (cp == '\r') {
            pendingCrs++;
            return;
        }
        if (cp == '\n') {
            pendingCrs = 0;
            sb.append('\n');
            return;
        }
        flushCrs(sb);
        if (cp == '\t' || !Text.isControl(cp)) {
            sb.appendCodePoint(cp);
            return;
        }
        switch (cp) {
            case 0x1b -> sb.append("\\e");
            case 0x07 -> sb.append("\\a");
            case 0x08 -> sb.append("\\b");
            case 0x0b -> sb.append("\\v");
            case 0x0c -> sb.append("\\f");
            default -> sb.append(cp < 0x80 ? String.format("\\x%02x", cp) : String.format("\\u%04x", cp));
        }
    }

    private void appendByte(StringBuilder sb, byte b) {
        flushCrs(sb);
        sb.append(String.format("\\x%02x", b & 0xff));
    }

    private void flushCrs(StringBuilder sb) {
        sb.append("\\r".repeat(pendingCrs));
        pendingCrs = 0;
    }
}
