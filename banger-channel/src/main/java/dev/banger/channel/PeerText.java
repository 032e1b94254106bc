package dev.banger.channel;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Text on the wire (reasons, error texts, version strings): UTF-8, cut to a bound when sent, and when
 * received decoded leniently (bad bytes become U+FFFD), cut to the bound, and made safe for one log
 * line: control characters (a terminal escape, a newline that would forge a log line) are shown as
 * {@code \\uXXXX}. Whatever the peer sends, the caller gets a short, inert string.
 */
final class PeerText {
    private PeerText() {
    }

    /** {@code text} as at most {@code maxBytes} bytes of UTF-8, cut on a character boundary. */
    static byte[] encode(String text, int maxBytes) {
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        if (all.length <= maxBytes) {
            return all;
        }
        int end = maxBytes;
        while (end > 0 && (all[end] & 0xC0) == 0x80) {
            end--; // never split a multi-byte character
        }
        byte[] cut = new byte[end];
        System.arraycopy(all, 0, cut, 0, end);
        return cut;
    }

    /** The peer's bytes as a bounded, single-line, control-free string. */
    static String decode(byte[] bytes, int offset, int length, int maxBytes) {
        int n = Math.min(length, maxBytes);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        String raw;
        try {
            raw = decoder.decode(ByteBuffer.wrap(bytes, offset, n)).toString();
        } catch (CharacterCodingException e) {
            raw = "\uFFFD"; // not reached with REPLACE; kept total
        }
        StringBuilder out = new StringBuilder(raw.length() + (length > n ? 12 : 0));
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (length > n) {
            out.append(" [cut]");
        }
        return out.toString();
    }
}
