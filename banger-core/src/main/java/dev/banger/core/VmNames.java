package dev.banger.core;

import dev.banger.api.BangerException;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * VM names are DNS labels because every VM is reachable as {@code <name>.vm}: 1-63 characters of
 * [a-z0-9-], neither starting nor ending with '-'.
 */
public final class VmNames {
    public static final int MAX_LENGTH = 63;

    private static final List<String> ADJECTIVES = List.of(
            "amber", "brisk", "calm", "dusty", "eager", "fuzzy", "gentle", "hasty", "icy", "jolly",
            "keen", "lucky", "mellow", "nimble", "odd", "proud", "quiet", "rapid", "shy", "tidy",
            "urban", "vivid", "witty", "young", "zesty");
    private static final List<String> NOUNS = List.of(
            "otter", "falcon", "badger", "heron", "lynx", "marmot", "newt", "osprey", "panda", "quokka",
            "raven", "salmon", "tapir", "urchin", "vole", "walrus", "yak", "zebra", "bison", "crane");

    private VmNames() {
    }

    /** Returns the name if it is valid, else throws an error naming the rule it broke. */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            throw BangerException.invalid("VM name is empty: give 1-63 characters of a-z, 0-9 and '-'");
        }
        if (name.length() > MAX_LENGTH) {
            throw BangerException.invalid("VM name '" + abbreviate(name) + "' is " + name.length()
                    + " characters long: a VM name is a DNS label of at most 63 characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) {
                throw BangerException.invalid("VM name '" + abbreviate(name) + "' contains " + describe(c)
                        + " at position " + (i + 1) + ": only lowercase letters a-z, digits 0-9 and '-' are allowed"
                        + lowercaseHint(name));
            }
        }
        if (name.startsWith("-") || name.endsWith("-")) {
            throw BangerException.invalid("VM name '" + name + "' starts or ends with '-': a DNS label must begin and end with a letter or digit");
        }
        return name;
    }

    /**
     * {@link #validate}, plus the rule for names given to new VMs: a name never has the shape of a VM id
     * (12 hex digits), so a reference to a VM is never both one VM's id and another's name.
     */
    public static String validateNew(String name) {
        validate(name);
        if (VmIds.looksLikeId(name)) {
            throw BangerException.invalid("VM name '" + name + "' has the shape of a VM id (" + VmIds.LENGTH
                    + " hex digits), and names and ids must never be confused: choose another name (e.g. with a letter g-z or a '-')");
        }
        return name;
    }

    public static boolean isValid(String name) {
        try {
            validate(name);
            return true;
        } catch (BangerException e) {
            return false;
        }
    }

    /** A readable random name such as {@code brisk-otter-4f2a}; the caller retries on a collision. */
    public static String generate(RandomGenerator random) {
        return ADJECTIVES.get(random.nextInt(ADJECTIVES.size())) + "-"
                + NOUNS.get(random.nextInt(NOUNS.size())) + "-"
                + String.format("%04x", random.nextInt(0x10000));
    }

    /** Suggests the lowercase spelling when that alone would make the name valid. */
    private static String lowercaseHint(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return !lower.equals(name) && isValid(lower) ? " (try '" + lower + "')" : "";
    }

    private static String describe(char c) {
        if (Character.isWhitespace(c)) {
            return "whitespace";
        }
        if (c < 0x20 || c == 0x7f) {
            return String.format("control character U+%04X", (int) c);
        }
        return "'" + c + "'";
    }

    static String abbreviate(String s) {
        return Text.printable(s, 67);
    }
}
