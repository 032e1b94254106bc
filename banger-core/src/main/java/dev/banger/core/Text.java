package dev.banger.core;

/** Untrusted text (user input, guest output) made safe to quote in a message or a terminal line. */
public final class Text {
    private Text() {
    }

    /**
     * Control characters become '?', so nothing quoted can move a cursor or forge a line; longer than
     * {@code maxChars} code points is cut and marked with "...". Null reads as "".
     */
    public static String printable(String s, int maxChars) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(maxChars).forEach(cp -> sb.appendCodePoint(isControl(cp) ? '?' : cp));
        return s.codePointCount(0, s.length()) > maxChars ? sb + "..." : sb.toString();
    }

    /** {@code 'text'}, printable and cut at 200 code points: user input quoted in an error message. */
    public static String quote(String s) {
        return "'" + printable(s, 200) + "'";
    }

    /**
     * Whether a terminal would act on the code point rather than show it: C0 controls (ESC, CR, BEL, ...,
     * also newline and tab), DEL and the C1 controls (CSI U+009B, OSC U+009D, ...).
     */
    public static boolean isControl(int cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
    }
}
