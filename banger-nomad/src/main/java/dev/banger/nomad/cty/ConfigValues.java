package dev.banger.nomad.cty;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typed reads of decoded config attributes, with messages that name the job file's attribute (config.cpus). */
final class ConfigValues {
    private final Map<String, Object> attrs;
    private final String prefix;

    ConfigValues(Map<String, Object> attrs, String prefix) {
        this.attrs = attrs;
        this.prefix = prefix;
    }

    private Object known(String name) {
        Object v = attrs.get(name);
        if (v == Unknown.VALUE) {
            throw new ConfigException(prefix + name + " is not known yet (Nomad sent an unknown value); give it a value in the job file");
        }
        return v;
    }

    /** A string, or null when the job leaves it out. */
    String string(String name, int maxChars) {
        Object v = known(name);
        if (v == null) {
            return null;
        }
        String s = (String) v;
        checkText(prefix + name, s, maxChars);
        return s;
    }

    /** A whole number from min to max, or null when the job leaves it out. */
    Integer wholeNumber(String name, int min, int max, String unitsPhrase) {
        Object v = known(name);
        if (v == null) {
            return null;
        }
        BigDecimal n = (BigDecimal) v;
        boolean whole = n.signum() == 0 || n.stripTrailingZeros().scale() <= 0;
        if (!whole || n.compareTo(BigDecimal.valueOf(min)) < 0 || n.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new ConfigException(prefix + name + " must be a whole number of " + unitsPhrase + " from " + min + " to " + max
                    + ", not " + n.toPlainString());
        }
        return n.intValueExact();
    }

    /** A list of strings (non-empty unless emptyAllowed, as an argument may be); empty when the job leaves it out. */
    List<String> strings(String name, int maxChars, boolean emptyAllowed) {
        Object v = known(name);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        List<?> list = (List<?>) v;
        for (int i = 0; i < list.size(); i++) {
            String where = prefix + name + "[" + i + "]";
            Object e = list.get(i);
            if (e == Unknown.VALUE) {
                throw new ConfigException(where + " is not known yet (Nomad sent an unknown value)");
            }
            if (e == null) {
                throw new ConfigException(where + " is null; remove it or give it a value");
            }
            String text = (String) e;
            if (!(emptyAllowed && text.isEmpty())) {
                checkText(where, text, maxChars);
            }
            out.add(text);
        }
        return List.copyOf(out);
    }

    private static void checkText(String where, String s, int maxChars) {
        if (s.isEmpty()) {
            throw new ConfigException(where + " must not be empty");
        }
        if (s.length() > maxChars) {
            throw new ConfigException(where + " is " + s.length() + " characters long, more than the " + maxChars + " allowed");
        }
        if (s.indexOf('\0') >= 0) {
            throw new ConfigException(where + " must not contain a NUL character");
        }
    }
}
