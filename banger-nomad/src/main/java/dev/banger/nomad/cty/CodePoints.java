package dev.banger.nomad.cty;

/** Code point order: the order of UTF-8 bytes, which is how Go sorts strings (Java's compareTo uses UTF-16 units). */
final class CodePoints {
    private CodePoints() {}

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
