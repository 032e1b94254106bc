package dev.banger.nomad;

/**
 * Checks a cty type expression as HCL's typeexpr reads one (what Nomad does with an hclspec Attr's {@code type}):
 * {@code string}, {@code number}, {@code bool}, {@code any}, {@code list(T)}, {@code set(T)}, {@code map(T)},
 * {@code object({name = T, ...})}, {@code tuple([T, ...])}. Written apart from the plugin, for the harness.
 */
final class CtyTypes {
    private final String s;
    private int i;

    private CtyTypes(String s) {
        this.s = s;
    }

    /** @throws IllegalArgumentException naming what is wrong and where */
    static void check(String type) {
        CtyTypes p = new CtyTypes(type);
        p.type();
        p.space();
        if (p.i != type.length()) {
            throw p.fail("trailing text");
        }
    }

    private void type() {
        space();
        String word = word();
        switch (word) {
            case "string", "number", "bool", "any" -> { }
            case "list", "set", "map" -> {
                expect('(');
                type();
                expect(')');
            }
            case "object" -> {
                expect('(');
                expect('{');
                space();
                if (!peek('}')) {
                    do {
                        space();
                        if (word().isEmpty()) {
                            throw fail("an attribute name");
                        }
                        expect('=');
                        type();
                        space();
                    } while (take(','));
                }
                expect('}');
                expect(')');
            }
            case "tuple" -> {
                expect('(');
                expect('[');
                space();
                if (!peek(']')) {
                    do {
                        type();
                        space();
                    } while (take(','));
                }
                expect(']');
                expect(')');
            }
            default -> throw fail("a type keyword, not '" + word + "'");
        }
    }

    private String word() {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            i++;
        }
        return s.substring(start, i);
    }

    private void space() {
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
    }

    private boolean peek(char c) {
        space();
        return i < s.length() && s.charAt(i) == c;
    }

    private boolean take(char c) {
        if (peek(c)) {
            i++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!take(c)) {
            throw fail("'" + c + "'");
        }
    }

    private IllegalArgumentException fail(String wanted) {
        return new IllegalArgumentException("not a cty type expression: \"" + s + "\": expected " + wanted + " at " + i);
    }
}
