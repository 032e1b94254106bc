package dev.banger.channel.copy;

import java.io.IOException;

/**
 * The other side of a copy stopped it and said why (a file it could not read, a disk that filled up). The
 * message is the peer's, made printable and cut to {@link #MAX_REASON} characters: it may come from a guest.
 */
public final class PeerFailure extends IOException {
    static final int MAX_REASON = 1000;

    public PeerFailure(String reason) {
        super(printable(reason));
    }

    /** A name from an archive, quoted and made printable, for a message. */
    static String shown(String name) {
        return "'" + printable(name.length() > 200 ? name.substring(0, 200) + "..." : name) + "'";
    }

    /** {@code text} on one line, control characters shown as '?', at most {@link #MAX_REASON} characters. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_REASON));
        for (int i = 0; i < text.length() && out.length() < MAX_REASON; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) || c == '\u2028' || c == '\u2029' ? '?' : c);
        }
        return out.toString();
    }
}
